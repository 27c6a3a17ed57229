"""subscribe: subscriptions first, then rev and state, posted as pages under 128 KB."""

from __future__ import annotations

import json
import time
from typing import Any

from mediaday.models import Call, item_to_dynamo
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES
from messaging.context import Collaborators
from messaging.paging import PAGE_BUDGET_BYTES
from messaging.service import handle_message
from tests.conftest import COORDINATION_TABLE
from tests.integration.messaging.conftest import MEDIA_DAY


def pages_for(poster, request_id: str) -> list[dict[str, Any]]:
    return [frame for frame in poster.frames() if frame.get("id") == request_id]


def test_subscribe_posts_a_snapshot_per_topic_then_acks_with_rev(
    roster, clients, poster, connection_store
):
    # When a crew subscribes to its station and shot list
    reply = clients["crew"].request("subscribe", topics=["station:st-1", "shots:st-1"])
    # Then the ack carries the current rev and the page count
    assert reply["type"] == "ack"
    assert reply["rev"] == roster.current_rev(MEDIA_DAY) == 10
    assert reply["topics"] == ["station:st-1", "shots:st-1"]
    pages = pages_for(poster, reply["id"])
    assert reply["pages"] == len(pages) == 2
    # And each page is a snapshot of one topic, holding exactly that topic's items
    by_topic = {page["topic"]: page for page in pages}
    assert {(i["type"], i["id"]) for i in by_topic["station:st-1"]["items"]} == {
        ("slot", "sl-1"),
        ("call", "ca-1"),
    }
    assert [i["id"] for i in by_topic["shots:st-1"]["items"]] == ["sh-1"]
    assert [page["page"] for page in pages] == [1, 2]
    assert all(page["pages"] == 2 and page["rev"] == 10 for page in pages)
    assert all(page["type"] == "snapshot" for page in pages)
    # And the subscriptions are recorded: the broadcaster finds this connection
    assert list(connection_store.subscribers(MEDIA_DAY, "station:st-1")) == ["c-crew"]
    assert sorted(connection_store.topics_of("c-crew")) == ["shots:st-1", "station:st-1"]


def test_an_empty_topic_is_answered_with_one_empty_page(roster, clients, poster):
    # a station on the roster (station topics name roster stations only) with no shots yet
    station = {"id": "st-9", "name": "Podcast booth", "kind": "podcast"}
    assert clients["producer"].request("station.put", station=station)["type"] == "ack"
    reply = clients["kiosk"].request("subscribe", topics=["shots:st-9"])
    (page,) = pages_for(poster, reply["id"])
    assert (page["items"], page["page"], page["pages"], reply["pages"]) == ([], 1, 1, 1)


def test_deleted_items_are_left_out_of_snapshots(roster, clients, poster):
    clients["producer"].request("slot.delete", slot_id="sl-1", version=1)
    reply = clients["kiosk"].request("subscribe", topics=["schedule"])
    (page,) = pages_for(poster, reply["id"])
    assert [item["id"] for item in page["items"]] == ["sl-2"]


def test_unknown_topics_are_invalid_and_nothing_is_subscribed(roster, clients, connection_rows):
    before = connection_rows()
    reply = clients["kiosk"].request("subscribe", topics=["schedule", "weather"])
    assert reply["code"] == "invalid"
    assert "unknown topic 'weather'" in reply["message"]
    # only the rate counter moved; no subscription rows
    assert [row for row in connection_rows() if "rate#" not in row["sk"]["S"]] == [
        row for row in before if "rate#" not in row["sk"]["S"]
    ]


def test_unsubscribe_removes_the_subscription(roster, clients, connection_store):
    kiosk = clients["kiosk"]
    kiosk.request("subscribe", topics=["calls", "schedule"])
    reply = kiosk.request("unsubscribe", topics=["calls"])
    assert reply["type"] == "ack" and reply["topics"] == ["calls"]
    assert list(connection_store.subscribers(MEDIA_DAY, "calls")) == []
    assert connection_store.topics_of("c-kiosk") == ["schedule"]


def test_a_topic_over_128_kb_arrives_in_pages_that_reassemble_to_the_whole(
    roster, clients, poster, dynamodb
):
    # Given 300 calls with 1000-character (2 KB UTF-8) notes: ~650 KB of state in one topic
    calls = [
        Call(
            media_day=MEDIA_DAY,
            id=f"ca-bulk-{n:03}",
            talent_id="t-1",
            station_id="st-2",
            note=f"{n:03} " + "ü" * 996,
            version=1,
            rev=100 + n,
        )
        for n in range(300)
    ]
    rows = [{"PutRequest": {"Item": item_to_dynamo(call)}} for call in calls]
    for start in range(0, len(rows), 25):
        dynamodb.batch_write_item(RequestItems={COORDINATION_TABLE: rows[start : start + 25]})
    # When a kiosk subscribes to the calls
    reply = clients["kiosk"].request("subscribe", topics=["calls"])
    # Then the snapshot arrives in several pages, each under the limit
    raw = [data for _, data in poster.posted if json.loads(data)["id"] == reply["id"]]
    sizes = [len(data) for data in raw]
    assert reply["pages"] == len(raw) > 1
    assert max(sizes) <= PAGE_BUDGET_BYTES < API_GATEWAY_MAX_MESSAGE_BYTES
    # And the pages reassemble to the whole topic, in order, without duplicates
    pages = [json.loads(data) for data in raw]
    assert [page["page"] for page in pages] == list(range(1, len(pages) + 1))
    items = [item for page in pages for item in page["items"]]
    expected = {call.id: call.note for call in calls} | {"ca-1": "", "ca-2": ""}
    assert {item["id"]: item["note"] for item in items} == expected
    assert len(items) == len(expected)
    total = sum(sizes)
    print(
        f"\nsnapshot of {len(items)} calls: {total} bytes in {len(raw)} pages, "
        f"largest page {max(sizes)} bytes (limit {API_GATEWAY_MAX_MESSAGE_BYTES})"
    )


class Recorder:
    """Wraps a store and records the order of the calls made on it."""

    def __init__(self, inner: Any, name: str, log: list[str]) -> None:
        self._inner, self._name, self._log = inner, name, log

    def __getattr__(self, attribute: str) -> Any:
        target = getattr(self._inner, attribute)

        def recorded(*args: Any, **kwargs: Any) -> Any:
            self._log.append(f"{self._name}.{attribute}")
            return target(*args, **kwargs)

        return recorded


def test_subscriptions_are_written_before_rev_and_state_are_read(
    roster, clients, connection_store, coordination_store, poster
):
    log: list[str] = []
    deps = Collaborators(
        connections=Recorder(connection_store, "connections", log),
        coordination=Recorder(coordination_store, "coordination", log),
        poster=Recorder(poster, "poster", log),
        clock=time.time,
    )
    body = json.dumps({"action": "subscribe", "id": "r-order", "topics": ["schedule"]})
    reply = handle_message(body, connection_id="c-kiosk", deps=deps)
    assert reply.type == "ack"
    counting = {
        "connections.get",
        "connections.count_message",
        "connections.count_subject_message",
        "connections.touch",
        "connections.topics_of",  # the subscription cap
    }
    steps = [step for step in log if step not in counting]
    assert steps == [
        "connections.subscribe",
        "coordination.current_rev",
        "coordination.items_of_type",
        "poster.post",
    ]


def test_subscribing_with_batched_events_is_recorded_per_subscription(
    roster, clients, poster, connection_store
):
    # When a kiosk opts into batched events for the schedule, and a crew subscribes as v1
    clients["kiosk"].request("subscribe", topics=["schedule"], events="batched")
    clients["crew"].request("subscribe", topics=["schedule"])
    # Then the broadcaster reads each subscription's choice from the same Query
    assert sorted(connection_store.subscriptions(MEDIA_DAY, "schedule")) == [
        ("c-crew", False),
        ("c-kiosk", True),
    ]


def test_an_unknown_events_mode_is_refused_and_nothing_subscribed(
    roster, clients, connection_store
):
    reply = clients["kiosk"].request("subscribe", topics=["schedule"], events="all")
    assert (reply["type"], reply["code"]) == ("error", "invalid")
    assert list(connection_store.subscriptions(MEDIA_DAY, "schedule")) == []
