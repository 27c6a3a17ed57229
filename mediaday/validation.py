"""The words for a value that breaks a field's pattern, shared by server and client.

The server (messaging.parsing) and the client (client.errors, before it sends a request)
explain the same rules; wording them here keeps a refused id reading the same whichever
end refused it.
"""

from __future__ import annotations

from mediaday.models import ID_PATTERN, TEXT_RULE

ID_RULE = "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
PRINTABLE_RULE = "must be printable ASCII without spaces"


def pattern_rule(pattern: str) -> str:
    """The rule a string pattern enforces, as a phrase that follows the field name."""
    if pattern == ID_PATTERN:
        return ID_RULE
    if pattern.startswith("^[\\x21-\\x7e]"):
        return PRINTABLE_RULE
    return TEXT_RULE
