"""sync: every create, update and delete since a rev (and nothing older), paged."""

from __future__ import annotations

from typing import Any

from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES
from tests.integration.messaging.conftest import MEDIA_DAY, slot_fields


def answer(client, poster, **fields: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    reply = client.request("sync", **fields)
    pages = [frame for frame in poster.frames() if frame.get("id") == reply.get("id")]
    return reply, pages


def test_sync_returns_creates_updates_and_deletes_since_a_rev_and_nothing_older(
    roster, clients, poster
):
    producer, kiosk = clients["producer"], clients["kiosk"]
    # Given a watermark taken after the roster was seeded
    watermark = roster.current_rev(MEDIA_DAY)
    # When, after it, a slot is created, another updated and a third deleted
    created = producer.request("slot.create", slot=slot_fields(id="sl-3", station_id="st-2"))
    updated = producer.request("slot.update", slot_id="sl-1", version=1, changes={"title": "T"})
    deleted = producer.request("slot.delete", slot_id="sl-2", version=1)
    # And a change in another topic's types happens too
    producer.request("shot.set_status", shot_id="sh-1", version=1, status="captured")
    # Then a sync of the schedule since the watermark returns exactly those three, by rev
    reply, pages = answer(kiosk, poster, since=watermark, topics=["schedule"])
    assert reply["type"] == "ack" and reply["pages"] == len(pages) == 1
    items = pages[0]["items"]
    assert [(item["id"], item["version"], item["deleted"]) for item in items] == [
        ("sl-3", 1, False),
        ("sl-1", 2, False),
        ("sl-2", 2, True),
    ]
    assert [item["rev"] for item in items] == [created["rev"], updated["rev"], deleted["rev"]]
    assert all(item["rev"] > watermark for item in items)
    assert (pages[0]["since"], pages[0]["rev"], reply["rev"]) == (
        watermark,
        roster.current_rev(MEDIA_DAY),
        roster.current_rev(MEDIA_DAY),
    )
    # And a sync since the newest rev is empty
    reply, pages = answer(kiosk, poster, since=reply["rev"], topics=["schedule"])
    assert pages[0]["items"] == [] and reply["pages"] == 1


def test_sync_since_zero_returns_everything_including_tombstones(roster, clients, poster):
    clients["producer"].request("call.cancel", call_id="ca-2", version=1)
    clients["producer"].request("shot.delete", shot_id="sh-2", version=1)
    _, pages = answer(clients["crew"], poster, since=0, topics=["calls", "shots:st-1"])
    items = {(item["type"], item["id"]): item for page in pages for item in page["items"]}
    assert set(items) == {("call", "ca-1"), ("call", "ca-2"), ("shot", "sh-1"), ("shot", "sh-2")}
    assert items["call", "ca-2"]["state"] == "cancelled"
    assert items["shot", "sh-2"]["deleted"] is True


def test_station_topics_sync_without_the_station_filter(roster, clients, poster):
    # Given a crew at st-1 whose slot moves to st-2
    watermark = roster.current_rev(MEDIA_DAY)
    clients["producer"].request("slot.move", slot_id="sl-1", version=1, station_id="st-2")
    # When it syncs its station topic
    _, pages = answer(clients["crew"], poster, since=watermark, topics=["station:st-1"])
    # Then the moved slot is in the answer, so the client can drop it
    assert [(item["id"], item["station_id"]) for item in pages[0]["items"]] == [("sl-1", "st-2")]


def test_sync_without_topics_uses_the_connections_subscriptions(roster, clients, poster):
    kiosk = clients["kiosk"]
    assert kiosk.request("sync", since=0)["code"] == "invalid"  # nothing subscribed yet
    kiosk.request("subscribe", topics=["roster"])
    reply, pages = answer(kiosk, poster, since=0)
    assert reply["topics"] == ["roster"]
    assert {item["type"] for item in pages[0]["items"]} == {"station", "talent"}


def test_sync_since_a_rev_the_server_does_not_have_requires_a_resync(roster, clients):
    reply = clients["kiosk"].request("sync", since=10_000, topics=["calls"])
    assert reply["code"] == "resync_required"
    assert "subscribe again" in reply["message"]


def test_sync_of_many_changes_is_paged_under_the_limit(roster, clients, poster):
    producer = clients["producer"]
    watermark = roster.current_rev(MEDIA_DAY)
    note = "ß" * 1000
    pushed = [
        producer.request("call.push", call={"talent_id": "t-1", "station_id": "st-2", "note": note})
        for _ in range(60)
    ]
    raw_before = len(poster.posted)
    reply = producer.request("sync", since=watermark, topics=["calls"])
    raw = [data for _, data in poster.posted[raw_before:]]
    assert reply["pages"] == len(raw) > 1
    assert max(len(data) for data in raw) <= API_GATEWAY_MAX_MESSAGE_BYTES
    pages = [frame for frame in poster.frames() if frame["id"] == reply["id"]]
    ids = [item["id"] for page in pages for item in page["items"]]
    assert ids == [ack["item"]["id"] for ack in pushed]
