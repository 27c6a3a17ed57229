"""Handler events for tests, built by the emulator's own builders (infra/local/events.py).

One builder, so a test event is shaped exactly as the local stack's events are. This
module only fills in test defaults: a cloud-like domain and stage, a fixed source address,
and headers and query parameters given as dicts. The Lambda context is the emulator's
too: `infra.local.events.LambdaContext`.
"""

from __future__ import annotations

import json
from typing import Any

from infra.local import events
from infra.local.layout import REGION

API_ID = "abc123defg"
STAGE = "test"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
SOURCE_IP = "203.0.113.7"
_PORT = 443


def _info(connection_id: str) -> events.ConnectionInfo:
    return events.ConnectionInfo(
        connection_id=connection_id,
        stage=STAGE,
        domain_name=DOMAIN,
        source_ip=SOURCE_IP,
        user_agent="pytest",
        connected_at_ms=events.now_ms() - 5,
    )


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
        "X-Forwarded-For": SOURCE_IP,
        **(headers or {}),
    }
    params = dict(query or {})
    if token is not None:
        params["token"] = token
    handshake = events.UpgradeRequest(
        headers=list(all_headers.items()),
        query=list(params.items()),
        host_port=_PORT,
        scheme="wss",
    )
    return events.connect_event(_info(connection_id), handshake, now_ms=events.now_ms())


def disconnect_event(connection_id: str = "conn-1", *, status: int = 1001) -> dict[str, Any]:
    return events.disconnect_event(
        _info(connection_id), status_code=status, reason="Client closed", now_ms=events.now_ms()
    )


def message_event(
    connection_id: str = "conn-1", body: Any = None, *, raw: str | None = None
) -> dict[str, Any]:
    """A $default message; `raw` sends the body text exactly as given."""
    text = raw if raw is not None else json.dumps(body)
    return events.message_event(_info(connection_id), "$default", text, now_ms=events.now_ms())
