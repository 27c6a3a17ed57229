"""API-Gateway-shaped events, built in one place for every test."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

API_ID = "abc123defg"
STAGE = "test"
DOMAIN = f"{API_ID}.execute-api.eu-west-1.amazonaws.com"


def _request_context(
    connection_id: str, route_key: str, event_type: str, *, source_ip: str = "203.0.113.7"
) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "messageDirection": "IN",
        "stage": STAGE,
        "connectedAt": now_ms - 5,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": source_ip, "userAgent": "pytest"},
        "requestId": uuid.uuid4().hex[:16],
        "domainName": DOMAIN,
        "connectionId": connection_id,
        "apiId": API_ID,
    }


def connect_event(
    connection_id: str = "conn-1",
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_headers = {
        "Host": DOMAIN,
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "X-Forwarded-For": "203.0.113.7",
        **(headers or {}),
    }
    params = dict(query or {})
    if token is not None:
        params["token"] = token
    return {
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": params or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in params.items()} or None,
        "requestContext": _request_context(connection_id, "$connect", "CONNECT"),
        "isBase64Encoded": False,
    }


def disconnect_event(connection_id: str = "conn-1", *, status: int = 1001) -> dict[str, Any]:
    headers = {"Host": DOMAIN, "x-api-key": "", "x-restapi": ""}
    context = _request_context(connection_id, "$disconnect", "DISCONNECT")
    context.update({"disconnectStatusCode": status, "disconnectReason": "Client closed"})
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def message_event(
    connection_id: str = "conn-1", body: Any = None, *, raw: str | None = None
) -> dict[str, Any]:
    """A $default message; `raw` sends the body text exactly as given."""
    context = _request_context(connection_id, "$default", "MESSAGE")
    context["messageId"] = uuid.uuid4().hex[:16]
    return {
        "requestContext": context,
        "body": raw if raw is not None else json.dumps(body),
        "isBase64Encoded": False,
    }


class FakeLambdaContext:
    function_name = "test-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    memory_limit_in_mb = 256
    aws_request_id = "req-0000"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "stream"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000
