"""The Lambda entry point: event in, route response out; rate limit; the real poster."""

from __future__ import annotations

import base64
import json
import time

from infra.local.events import LambdaContext
from mediaday.factories import reset_all
from messaging.handler import on_message
from tests.support.delivery import RecordingPoster
from tests.support.events import DOMAIN, STAGE, message_event


def test_the_route_response_is_the_frame_as_json_text(roster, clients, poster):
    response = on_message(
        message_event("c-kiosk", {"action": "ping", "id": "p-1"}),
        LambdaContext("test-function"),
        poster=poster,
    )
    assert response["statusCode"] == 200
    assert isinstance(response["body"], str)
    frame = json.loads(response["body"])
    assert (frame["type"], frame["id"]) == ("pong", "p-1")
    assert abs(frame["server_time"] - time.time() * 1000) < 60_000  # epoch milliseconds


def test_a_binary_frame_with_json_is_answered(roster, clients, poster):
    event = message_event("c-kiosk", raw=base64.b64encode(b'{"action":"ping","id":"b"}').decode())
    event["isBase64Encoded"] = True
    frame = json.loads(on_message(event, LambdaContext("test-function"), poster=poster)["body"])
    assert frame["type"] == "pong"


def test_an_unregistered_connection_is_unauthorized(dynamodb, poster):
    event = message_event("c-unknown", {"action": "ping", "id": "u-1"})
    frame = json.loads(on_message(event, LambdaContext("test-function"), poster=poster)["body"])
    assert (frame["code"], frame["id"]) == ("unauthorized", "u-1")


def test_messages_over_the_configured_rate_are_refused_and_write_nothing(
    roster, clients, monkeypatch, coordination_rows
):
    # Given a limit of 3 messages a minute
    monkeypatch.setenv("MEDIADAY_RATE_LIMIT_PER_MINUTE", "3")
    reset_all()
    producer = clients["producer"]
    for _ in range(3):  # (pings are not counted: heartbeats write nothing)
        assert producer.request("unsubscribe", topics=["calls"])["type"] == "ack"
    assert producer.request("ping")["type"] == "pong"
    before = coordination_rows()
    # When a fourth message arrives within the minute
    reply = producer.request("slot.delete", slot_id="sl-1", version=1)
    # Then it is refused and nothing is written
    assert reply["code"] == "rate_limited"
    assert coordination_rows() == before
    # And other connections have their own budget
    assert clients["kiosk"].request("ping")["type"] == "pong"


def test_without_an_injected_poster_pages_go_through_the_apis_own_callback_url(
    roster, clients, monkeypatch
):
    # Given no poster passed in and no MEDIADAY_MANAGEMENT_ENDPOINT: the handler posts to
    # the API's own callback URL, https://<domainName>/<stage>
    posters: dict[str, RecordingPoster] = {}

    def poster_for(endpoint: str, pool_size: int) -> RecordingPoster:
        return posters.setdefault(endpoint, RecordingPoster())

    monkeypatch.setattr("mediaday.factories.management_api_poster", poster_for)
    event = message_event("c-kiosk", {"action": "subscribe", "id": "s-1", "topics": ["calls"]})
    frame = json.loads(on_message(event, LambdaContext("test-function"))["body"])
    assert frame["type"] == "ack" and frame["pages"] == 1
    (endpoint,) = posters
    assert endpoint == f"https://{DOMAIN}/{STAGE}"
    (posted,) = posters[endpoint].frames_to("c-kiosk")
    assert (posted["type"], posted["id"], posted["topic"]) == ("snapshot", "s-1", "calls")
    assert {item["id"] for item in posted["items"]} == {"ca-1", "ca-2"}
