"""The local stack end to end, as users run it: `mediaday serve` with the demo day, real
WebSocket clients on loopback, the real handlers, DynamoDB Local and the stream poller.
Here: stack.json, changes reaching screens, the handshake, `@connections`, frame limits and
sync. One stack serves the folder (conftest.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from mediaday.models import item_to_plain
from tests.support.stack import connection_id_of, connection_rows, coordination_store
from tests.support.wsclient import ProtocolClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_stack_json_names_the_urls_and_working_tokens(local_stack):
    info = local_stack.info
    assert info["ws_url"] == f"ws://127.0.0.1:{local_stack.port}/local"
    assert info["management_url"] == f"http://127.0.0.1:{local_stack.port}/local"
    assert info["kiosk_url"].endswith("/kiosk") and info["crew_url"].endswith("/crew")
    assert info["media_day"] == "cbtc-2026"
    assert set(info["tokens"]["crew"]) == {"st-1", "st-2", "st-3", "st-4"}
    assert info["links"]["kiosk"] == f"{info['kiosk_url']}?token={info['tokens']['kiosk']}"


async def test_a_producer_change_reaches_subscribed_crew_and_kiosk_and_the_sender_gets_its_ack(
    local_stack,
):
    tokens = local_stack.info["tokens"]
    ws_url = local_stack.ws_url
    async with (
        await ProtocolClient.open(f"{ws_url}?token={tokens['producer']}") as producer,
        await ProtocolClient.open(f"{ws_url}?token={tokens['crew']['st-1']}") as crew,
        await ProtocolClient.open(f"{ws_url}?token={tokens['kiosk']}") as kiosk,
    ):
        # Given a crew watching its station and a kiosk watching the schedule
        await crew.subscribe("station:st-1")
        await kiosk.subscribe("schedule")
        slot = next(
            item for (kind, _), item in sorted(crew.items("station:st-1").items()) if kind == "slot"
        )
        # When the producer retitles one of the station's slots
        ack = await producer.request(
            "slot.update",
            slot_id=slot["id"],
            version=slot["version"],
            changes={"title": "Moved up: live hit"},
        )
        # Then the producer gets its ack and both screens receive the change
        assert ack["type"] == "ack", ack
        assert ack["version"] == slot["version"] + 1
        for client, topic in ((crew, "station:st-1"), (kiosk, "schedule")):
            event = await client.next_event(item_id=slot["id"], version=ack["version"])
            assert event["topic"] == topic
            assert event["change"] == "updated"
            assert event["item"]["title"] == "Moved up: live hit"
            assert client.items(topic)[("slot", slot["id"])]["version"] == ack["version"]


async def test_the_broadcaster_runs_in_its_own_process_and_batches_a_change_once(local_stack):
    # Given the stack's broadcaster, in a child process of its own (not DynamoDB Local's Java)
    assert local_stack.process is not None
    children = Path(f"/proc/{local_stack.process.pid}/task")
    kids = set()
    for task in children.iterdir():
        kids |= {int(pid) for pid in (task / "children").read_text().split()}
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in kids]
    assert any(b"multiprocessing" in command for command in commands), commands
    tokens = local_stack.info["tokens"]
    ws_url = local_stack.ws_url
    async with (
        await ProtocolClient.open(f"{ws_url}?token={tokens['producer']}") as producer,
        await ProtocolClient.open(f"{ws_url}?token={tokens['kiosk']}") as kiosk,
    ):
        # and a screen subscribed to two topics with batched events
        await kiosk.subscribe("station:st-2")  # the protocol client's own mirror of it
        ack = await kiosk.request(
            "subscribe", topics=["schedule", "station:st-2"], events="batched"
        )
        assert ack["type"] == "ack", ack
        slot = next(
            item
            for (kind, _), item in sorted(kiosk.items("station:st-2").items())
            if kind == "slot"
        )
        # When a slot of that station changes
        changed = await producer.request(
            "slot.update", slot_id=slot["id"], version=slot["version"], changes={"title": "Batch"}
        )
        assert changed["type"] == "ack", changed
        # Then it arrives once, in an `events` frame naming both topics
        frame = await kiosk.next_event(type="events")
        (change,) = [c for c in frame["changes"] if c["item_id"] == slot["id"]]
        assert change["topics"] == ["schedule", "station:st-2"]
        assert change["version"] == changed["version"]


async def test_a_shift_and_a_notice_reach_the_screens_through_the_stack(local_stack):
    # Given a crew of st-3 on its station topic and a kiosk on notices (the demo day)
    async with (
        await ProtocolClient.open(local_stack.url_for("producer")) as producer,
        await ProtocolClient.open(local_stack.url_for("crew", "st-3")) as crew,
        await ProtocolClient.open(local_stack.url_for("kiosk")) as kiosk,
    ):
        await crew.subscribe("station:st-3")
        await kiosk.subscribe("notices")
        slots = sorted(
            (i for (t, _), i in crew.items("station:st-3").items() if t == "slot"),
            key=lambda s: s["starts_at"],
        )
        last = slots[-1]
        # When a producer shifts st-3's last slot 10 minutes later and posts a notice
        shifted = await producer.request(
            "schedule.shift", station_id="st-3", minutes=10, starting_at=last["starts_at"]
        )
        posted = await producer.request("notice.post", notice={"text": "Lunch in 10 minutes"})
        # Then the crew gets the moved slot, planned time kept, and the kiosk the notice
        assert shifted["type"] == "ack" and [i["id"] for i in shifted["items"]] == [last["id"]]
        event = await crew.next_event(item_id=last["id"], version=shifted["items"][0]["version"])
        assert event["item"]["planned_starts_at"] == last["starts_at"].replace("+00:00", "Z")
        notice = await kiosk.next_event(item_id=posted["item"]["id"])
        assert notice["item"]["text"] == "Lunch in 10 minutes" and notice["topic"] == "notices"


async def test_a_client_that_drops_and_syncs_holds_exactly_the_tables_state(local_stack):
    store = coordination_store(local_stack)
    producer = await ProtocolClient.open(local_stack.url_for("producer"))
    kiosk = await ProtocolClient.open(local_stack.url_for("kiosk"))
    try:
        await kiosk.subscribe("schedule")
        slots = sorted(kiosk.items("schedule").values(), key=lambda s: s["id"])
        # When the kiosk drops off the Wi-Fi...
        await kiosk.close()
        # ...and five changes land meanwhile: updates, a move, a delete and a create
        changes = [
            ("slot.update", {"slot_id": slots[0]["id"], "changes": {"title": "A"}}),
            ("slot.update", {"slot_id": slots[1]["id"], "changes": {"title": "B"}}),
            ("slot.move", {"slot_id": slots[2]["id"], "station_id": "st-4"}),
            ("slot.delete", {"slot_id": slots[3]["id"]}),
        ]
        for (action, fields), slot in zip(changes, slots, strict=False):
            ack = await producer.request(action, version=slot["version"], **fields)
            assert ack["type"] == "ack", ack
        created = await producer.request(
            "slot.create",
            slot={
                "station_id": "st-2",
                "talent_id": "t-3",
                "starts_at": slots[0]["starts_at"],
                "ends_at": slots[0]["ends_at"],
                "title": "Added while away",
            },
            allow_overlap=True,  # t-3 may be booked then: this test is about sync
        )
        assert created["type"] == "ack", created
        # Then, back online, it syncs since its watermark
        kiosk = await ProtocolClient.open(local_stack.url_for("kiosk"), resume=kiosk)
        await kiosk.request("subscribe", topics=["schedule"])  # events again; no snapshot
        await kiosk.sync(["schedule"])
        # and holds exactly what the table holds
        table = {
            ("slot", item.id): item_to_plain(item)
            for item in store.items_of_type(local_stack.media_day, "slot")
        }
        assert kiosk.items("schedule") == table
    finally:
        await producer.close()
        await kiosk.close()


@pytest.mark.parametrize(
    ("query", "status"),
    [("", 401), ("?token=mdl1.forged.token", 403), ("?token=not-a-token", 403)],
)
async def test_handshake_without_a_valid_token_is_refused_with_the_right_status(
    local_stack, query, status
):
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{local_stack.ws_url}{query}"):
            pass
    assert refused.value.response.status_code == status


async def test_a_browser_may_pass_the_token_as_subprotocol(local_stack):
    token = local_stack.info["tokens"]["kiosk"]
    async with connect(
        local_stack.ws_url, subprotocols=[Subprotocol("mediaday.v1"), Subprotocol(token)]
    ) as ws:
        assert ws.subprotocol == "mediaday.v1"
        await ws.send(json.dumps({"action": "ping", "id": "p1"}))
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_management_api_post_get_delete_and_gone_after_close(local_stack):
    api = local_stack.management_client()
    token = local_stack.token("kiosk")
    async with connect(f"{local_stack.ws_url}?token={token}") as ws:
        connection_id = connection_id_of(local_stack, token)
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b"hey")
        assert await ws.recv() == "hey"
        info = await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1"
        assert info["LastActiveAt"] >= info["ConnectedAt"]
        await asyncio.to_thread(api.delete_connection, ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    with pytest.raises(api.exceptions.GoneException):
        await asyncio.to_thread(api.post_to_connection, ConnectionId=connection_id, Data=b"x")
    with pytest.raises(api.exceptions.GoneException):
        await asyncio.to_thread(api.get_connection, ConnectionId=connection_id)
    # and $disconnect ran the real handler: the connection's rows are gone
    for _ in range(100):
        if not connection_rows(local_stack, connection_id):
            break
        await asyncio.sleep(0.05)
    assert connection_rows(local_stack, connection_id) == []


async def test_a_message_over_128_kb_closes_the_connection_with_1009(local_stack):
    async with connect(local_stack.url_for("kiosk")) as ws:
        frames = ["x" * (32 * 1024)] * 4 + ["x"]
        await ws.send(iter(frames))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009
