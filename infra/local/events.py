"""API-Gateway-shaped events for the handlers: the one builder of them.

The shapes follow what API Gateway sends a Lambda proxy integration of a WebSocket API
(every requestContext field Powertools' models read), so the handlers cannot tell the
emulator from the cloud. The tests build their events with these functions too
(tests/support/events.py only adds test defaults), so both see the same shapes.
"""

from __future__ import annotations

import secrets
import string
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

API_ID = "local"
_ID_ALPHABET = string.ascii_letters + string.digits


def now_ms() -> int:
    """Wall-clock epoch milliseconds, API Gateway's unit for every timestamp it sends."""
    return int(time.time() * 1000)


def new_connection_id() -> str:
    """A fresh id shaped like API Gateway's (15 base64-ish characters and '=')."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


def _request_id() -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(15)) + "="


@dataclass(frozen=True)
class ConnectionInfo:
    """What API Gateway remembers about a connection and repeats in every event."""

    connection_id: str
    stage: str
    domain_name: str
    source_ip: str
    user_agent: str
    connected_at_ms: int


@dataclass(frozen=True)
class UpgradeRequest:
    """The browser's HTTP upgrade request as the emulator received it, before API Gateway
    flattens it into a $connect event (connect.logic.Handshake is what the handler reads
    back out of that event)."""

    headers: list[tuple[str, str]]  # as received, repeated names kept
    query: list[tuple[str, str]]
    host_port: int
    scheme: str = "ws"


def _request_context(
    info: ConnectionInfo, route_key: str, event_type: str, *, now_ms: int
) -> dict[str, Any]:
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": _request_id(),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now_ms / 1000)),
        "messageDirection": "IN",
        "stage": info.stage,
        "connectedAt": info.connected_at_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
        "requestId": _request_id(),
        "domainName": info.domain_name,
        "connectionId": info.connection_id,
        "apiId": API_ID,
    }


def _single_and_multi(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """API Gateway's two views of repeated names: last value wins / every value."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def connect_event(
    info: ConnectionInfo, handshake: UpgradeRequest, *, now_ms: int
) -> dict[str, Any]:
    forwarded = [
        ("X-Amzn-Trace-Id", f"Root=1-{now_ms // 1000:08x}-{uuid.uuid4().hex[:24]}"),
        ("X-Forwarded-For", info.source_ip),
        ("X-Forwarded-Port", str(handshake.host_port)),
        ("X-Forwarded-Proto", "https" if handshake.scheme == "wss" else "http"),
    ]
    names = {name.lower() for name, _ in handshake.headers}
    pairs = handshake.headers + [(n, v) for n, v in forwarded if n.lower() not in names]
    headers, multi_headers = _single_and_multi(pairs)
    query, multi_query = _single_and_multi(handshake.query)
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "requestContext": _request_context(info, "$connect", "CONNECT", now_ms=now_ms),
        "isBase64Encoded": False,
    }


def disconnect_event(
    info: ConnectionInfo, *, status_code: int, reason: str, now_ms: int
) -> dict[str, Any]:
    headers = {
        "Host": info.domain_name,
        "x-api-key": "",
        "X-Forwarded-For": "",
        "x-restapi": "",
    }
    context = _request_context(info, "$disconnect", "DISCONNECT", now_ms=now_ms)
    context.update({"disconnectStatusCode": status_code, "disconnectReason": reason})
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def message_event(
    info: ConnectionInfo, route_key: str, body: str, *, now_ms: int
) -> dict[str, Any]:
    """A message on a route: always text, as API Gateway closes on binary frames (1003)."""
    context = _request_context(info, route_key, "MESSAGE", now_ms=now_ms)
    context["messageId"] = _request_id()
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


class LambdaContext:
    """The attributes Powertools reads from Lambda's context object."""

    def __init__(self, function_name: str, *, timeout_seconds: float = 29.0) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function_name}"
        self.memory_limit_in_mb = 256
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
