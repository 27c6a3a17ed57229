"""Reading a client's message: size, JSON, action, then the request model.

Every failure becomes a RequestError with a stable code and a short message that names the
offending field. Pydantic's own report is never shown: it can be long, it can quote the
client's input, and its wording is not part of the protocol.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, from_json, to_json

from mediaday.errors import InvalidRequest, MessageTooLarge, UnknownAction
from mediaday.protocol import ACTIONS, Request
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES
from mediaday.validation import pattern_rule

_REQUEST: TypeAdapter[Request] = TypeAdapter(Request)
_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,64}$")
_PRINTABLE_LABEL = re.compile(r"^[\x21-\x7e]{1,40}$")
_MAX_MESSAGE_CHARS = 240


def decode_body(body: str | None, *, base64_encoded: bool = False) -> Any:
    """The message as JSON data; the size is checked before any parsing."""
    if body is None or body == "":
        raise InvalidRequest("empty message: send a JSON object with an `action`")
    raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > API_GATEWAY_MAX_MESSAGE_BYTES:
        raise MessageTooLarge(
            f"message of {len(raw)} bytes exceeds the limit of "
            f"{API_GATEWAY_MAX_MESSAGE_BYTES} bytes (128 KB)"
        )
    if base64_encoded:  # a binary frame: accepted only if it carries UTF-8 JSON
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("binary message is not valid base64") from None
    try:
        return from_json(raw, allow_inf_nan=False)
    except ValueError:
        raise InvalidRequest("message is not valid JSON") from None


def readable_id(data: Any) -> str | None:
    """The request id, if the message carries a well-formed one (errors echo it)."""
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str) and _REQUEST_ID.match(value):
            return value
    return None


def validate_request(data: Any) -> Request:
    """The decoded message as a typed request (strict: no type coercion)."""
    if not isinstance(data, dict):
        raise InvalidRequest("message must be a JSON object")
    action = data.get("action")
    if action is None:
        raise UnknownAction("message has no `action`")
    if not isinstance(action, str) or action not in ACTIONS:
        raise UnknownAction(f"unknown action {_label(action)}; see docs/protocol.md")
    try:
        # JSON-mode strict validation: "3" is not an int, true is not a version, but ISO
        # date strings and enum values are read the way JSON clients send them.
        return _REQUEST.validate_json(to_json(data), strict=True)
    except ValidationError as error:
        raise InvalidRequest(describe(error, skip=1)) from None


def describe(error: ValidationError, *, skip: int = 0) -> str:
    """One short human sentence for the first problem (skip: leading loc parts to drop)."""
    problems = error.errors(include_url=False, include_input=False)
    message = _sentence(problems[0], skip)
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    return message[:_MAX_MESSAGE_CHARS]


def _sentence(problem: ErrorDetails, skip: int) -> str:
    field = _path(problem["loc"][skip:])
    kind = problem["type"]
    context = problem.get("ctx") or {}
    if kind == "missing":
        return f"`{field}` is required"
    if kind == "extra_forbidden":
        return f"unknown field `{field}`"
    if kind == "string_pattern_mismatch":
        return f"`{field}` {pattern_rule(str(context.get('pattern', '')))}"
    if kind == "unsafe_character":  # mediaday.models: the rule and the code point
        return f"`{field}` {problem['msg']}"
    if kind in {"value_error", "assertion_error"} and "error" in context:
        reason = str(context["error"])
        return reason if not field else f"`{field}`: {reason}"
    text = problem["msg"]
    text = text[:1].lower() + text[1:]
    return f"`{field}`: {text}" if field else text


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + _label(part, quote=False)
    return text


def _label(value: object, *, quote: bool = True) -> str:
    """Client-chosen text (a field name, an action) made safe to show: short, printable."""
    if isinstance(value, str) and _PRINTABLE_LABEL.match(value):
        return f"'{value}'" if quote else value
    shown = ascii(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."
