"""Calls record when they were pushed and first acknowledged, on the server's clock: the
day report's acknowledgement times are the difference (docs/protocol.md, Items)."""

from __future__ import annotations

import time
from datetime import datetime


def moment(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_a_pushed_call_carries_the_server_time_it_was_pushed(roster, clients):
    # Given a producer, when it pushes a call
    before = time.time()
    reply = clients["producer"].request(
        "call.push", call={"talent_id": "t-1", "station_id": "st-1"}
    )
    # Then the call says when, on the server's clock, and nobody has acknowledged it yet
    item = reply["item"]
    assert before - 1 <= moment(item["pushed_at"]) <= time.time() + 1
    assert "acked_at" not in item


def test_the_first_acknowledgement_time_is_kept_by_later_acks(roster, clients):
    # Given a call the crew acknowledges (en route), then marks arrived and done
    crew = clients["crew"]
    en_route = crew.request("call.ack", call_id="ca-1", version=1, state="en-route")
    time.sleep(0.05)
    arrived = crew.request("call.ack", call_id="ca-1", version=2, state="arrived")
    done = crew.request("call.ack", call_id="ca-1", version=3, state="done")
    # Then the acknowledgement time is the first one's
    first = en_route["item"]["acked_at"]
    assert first is not None
    assert arrived["item"]["acked_at"] == first == done["item"]["acked_at"]
    assert done["item"]["state"] == "done"


def test_a_client_cannot_set_the_call_times_itself(roster, clients):
    reply = clients["producer"].request(
        "call.push",
        call={"talent_id": "t-1", "station_id": "st-1", "pushed_at": "2026-01-01T00:00:00Z"},
    )
    assert (reply["type"], reply["code"]) == ("error", "invalid")
