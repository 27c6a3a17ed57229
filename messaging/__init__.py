"""The $default message Lambda: protocol, validation, authorization, writes, snapshots."""
