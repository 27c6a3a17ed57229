"""The Python client of Media Day Live: `MediaDayClient` (connection, mirror, requests),
the `mediaday` CLI (`client.cli`) and, in `client/web/`, the kiosk and crew pages."""
