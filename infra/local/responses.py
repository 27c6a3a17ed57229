"""The HTTP answers API Gateway gives, in the shapes it gives them: a JSON `message` and,
for the Management API, the error type in `x-amzn-ErrorType`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from aiohttp import web

from infra.local.events import new_connection_id

_GONE = {"message": "The connection with the provided id no longer exists."}


def json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status, text=json.dumps(body), content_type="application/json", headers=headers
    )


def error_response(status: int, error_type: str, message: str) -> web.Response:
    return json_response(status, {"message": message}, {"x-amzn-ErrorType": error_type})


def gone() -> web.Response:
    """410 GoneException: an unknown or closed connection."""
    return json_response(410, _GONE, {"x-amzn-ErrorType": "GoneException"})


def refusal(status: int, response: Any) -> web.Response:
    """A handshake $connect refused: its body if it gave one, else the status's phrase."""
    body = response.get("body") if isinstance(response, dict) else None
    if isinstance(body, str) and body:
        return json_response(status, {"message": body})
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Refused"
    return json_response(status, {"message": phrase})


def gateway_error(message: str, connection_id: str) -> str:
    """The frame API Gateway sends a caller when it cannot route or the handler failed."""
    return json.dumps(
        {"message": message, "connectionId": connection_id, "requestId": new_connection_id()}
    )
