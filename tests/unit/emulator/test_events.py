"""API-Gateway-shaped events: what the handlers' Powertools models read."""

from __future__ import annotations

import re

from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)

from infra.local.events import (
    ConnectionInfo,
    LambdaContext,
    UpgradeRequest,
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
)

INFO = ConnectionInfo(
    connection_id="AbCdEfGhIjKlMnO=",
    stage="local",
    domain_name="127.0.0.1:8080",
    source_ip="127.0.0.1",
    user_agent="test",
    connected_at_ms=1_795_600_000_000,
)


def test_connection_ids_look_like_api_gateways_and_are_fresh():
    ids = {new_connection_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9]{15}=", i) for i in ids)


def test_connect_event_keeps_repeated_headers_and_query_values():
    handshake = UpgradeRequest(
        headers=[("Host", "h"), ("X-Multi", "a"), ("X-Multi", "b")],
        query=[("token", "t"), ("x", "1"), ("x", "2")],
        host_port=8080,
    )
    event = connect_event(INFO, handshake, now_ms=INFO.connected_at_ms)
    APIGatewayWebSocketConnectEventModel.model_validate(event)
    assert event["headers"]["X-Multi"] == "b"
    assert event["multiValueHeaders"]["X-Multi"] == ["a", "b"]
    assert event["queryStringParameters"] == {"token": "t", "x": "2"}
    assert event["headers"]["X-Forwarded-Port"] == "8080"
    assert event["requestContext"]["connectedAt"] == INFO.connected_at_ms


def test_connect_event_without_query_has_none_like_api_gateway():
    event = connect_event(INFO, UpgradeRequest(headers=[], query=[], host_port=1), now_ms=1)
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None


def test_disconnect_event_carries_code_and_reason():
    event = disconnect_event(INFO, status_code=1006, reason="Connection lost", now_ms=5)
    model = APIGatewayWebSocketDisconnectEventModel.model_validate(event)
    assert model.request_context.disconnect_status_code == 1006
    assert event["requestContext"]["disconnectReason"] == "Connection lost"


def test_message_events_carry_the_text_as_it_came_with_a_fresh_message_id():
    first = message_event(INFO, "$default", '{"a":1}', now_ms=5)
    model = APIGatewayWebSocketMessageEventModel.model_validate(first)
    assert not model.is_base64_encoded
    assert first["body"] == '{"a":1}'
    second = message_event(INFO, "$default", '{"a":1}', now_ms=5)
    assert second["requestContext"]["messageId"] != first["requestContext"]["messageId"]


def test_lambda_context_counts_down():
    context = LambdaContext("local-default", timeout_seconds=3)
    assert 0 < context.get_remaining_time_in_millis() <= 3000
    assert context.function_name == "local-default"
