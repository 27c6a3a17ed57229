"""Notices: producers post, update and clear announcements; bad ones change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.integration.messaging.conftest import MEDIA_DAY


def later(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def test_a_posted_notice_names_who_posted_it_and_reaches_the_notices_topic(
    roster, clients, poster, coordination_store
):
    producer = clients["producer"]
    posted = producer.request(
        "notice.post",
        notice={
            "text": "All crews to Hall B",
            "level": "urgent",
            "stations": ["st-1", "st-2"],
            "expires_at": later(10),
        },
    )
    assert posted["type"] == "ack", posted
    notice = coordination_store.get(MEDIA_DAY, "notice", posted["item"]["id"])
    assert (notice.level, notice.stations, notice.posted_by) == (
        "urgent",
        ["st-1", "st-2"],
        "producer-subject",
    )
    assert notice.id.startswith("nt-")
    # And a screen subscribing to `notices` gets it in the snapshot
    reply = clients["kiosk"].request("subscribe", topics=["notices"])
    (page,) = [f for f in poster.frames_to("c-kiosk") if f.get("id") == reply["id"]]
    assert [item["id"] for item in page["items"]] == [notice.id]


def test_update_and_clear_go_by_version_and_clear_leaves_a_tombstone(
    roster, clients, coordination_store
):
    producer = clients["producer"]
    producer.request("notice.post", notice={"id": "nt-1", "text": "Lunch at 12:30"})
    updated = producer.request(
        "notice.update", notice_id="nt-1", version=1, changes={"text": "Lunch at 12:45"}
    )
    assert updated["item"]["text"] == "Lunch at 12:45" and updated["version"] == 2
    stale = producer.request("notice.clear", notice_id="nt-1", version=1)
    assert stale["code"] == "conflict"
    cleared = producer.request("notice.clear", notice_id="nt-1", version=2)
    assert cleared["item"]["deleted"] is True
    assert coordination_store.get(MEDIA_DAY, "notice", "nt-1").deleted is True


@pytest.mark.parametrize(
    "notice,fragment",
    [
        ({"text": "x" * 281}, "notice.text"),
        ({"text": ""}, "notice.text"),
        ({"text": "fine", "level": "panic"}, "notice.level"),
        ({"text": "fine", "expires_at": "2020-01-01T00:00:00Z"}, "already passed"),
        ({"text": "fine", "stations": ["st-9"]}, "unknown station 'st-9'"),
        ({"text": "line\nbreak"}, "control characters"),
    ],
)
def test_bad_notices_are_invalid_and_nothing_is_written(
    notice, fragment, roster, clients, coordination_rows
):
    before = coordination_rows()
    reply = clients["producer"].request("notice.post", notice=notice)
    assert reply["code"] == "invalid" and fragment in reply["message"], reply
    assert coordination_rows() == before


def test_a_notice_of_280_characters_is_accepted(roster, clients):
    reply = clients["producer"].request("notice.post", notice={"text": "é" * 280})
    assert reply["type"] == "ack", reply
