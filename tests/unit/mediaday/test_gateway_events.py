"""The handlers' own models of API Gateway's WebSocket events read what Powertools' models
read (the handlers no longer import Powertools' parser, issue #17)."""

from __future__ import annotations

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from pydantic import ValidationError

from mediaday.gateway_events import ConnectEvent, DisconnectEvent, MessageEvent
from tests.support.events import SOURCE_IP, connect_event, disconnect_event, message_event


def _common(context) -> tuple:
    return (
        context.connection_id,
        context.connected_at,
        context.request_time_epoch,
        context.domain_name,
        context.stage,
        context.identity.user_agent,
    )


def test_a_connect_event_reads_as_powertools_reads_it_plus_the_query_string():
    event = connect_event("c-1", token="t.o.k", headers={"Origin": "https://a.example"})
    ours = ConnectEvent.model_validate(event)
    theirs = APIGatewayWebSocketConnectEventModel.model_validate(event)
    assert _common(ours.request_context) == _common(theirs.request_context)
    assert str(ours.request_context.identity.source_ip) == SOURCE_IP
    assert str(theirs.request_context.identity.source_ip.network_address) == SOURCE_IP
    assert ours.headers == theirs.headers
    assert ours.query_string_parameters == {"token": "t.o.k"}


def test_a_disconnect_event_reads_as_powertools_reads_it():
    event = disconnect_event("c-1", status=1006)
    ours = DisconnectEvent.model_validate(event)
    theirs = APIGatewayWebSocketDisconnectEventModel.model_validate(event)
    assert _common(ours.request_context) == _common(theirs.request_context)
    assert ours.request_context.disconnect_status_code == 1006


def test_a_message_event_reads_as_powertools_reads_it():
    event = message_event("c-1", {"action": "ping", "id": "r-1"})
    ours = MessageEvent.model_validate(event)
    theirs = APIGatewayWebSocketMessageEventModel.model_validate(event)
    assert _common(ours.request_context) == _common(theirs.request_context)
    assert (ours.body, ours.is_base64_encoded) == (theirs.body, theirs.is_base64_encoded)


def test_an_event_of_another_route_is_refused():
    with pytest.raises(ValidationError, match="routeKey"):
        ConnectEvent.model_validate({**disconnect_event("c-1"), "headers": {}})
