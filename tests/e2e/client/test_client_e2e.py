"""The client library and the `mediaday` CLI against the local stack (`mediaday serve`):
the real handlers, DynamoDB Local, the stream poller and the API Gateway emulator."""

from __future__ import annotations

import asyncio
import io

import pytest
from rich.console import Console

from client.cli import main
from client.commands.watch import topics_for, watch
from client.connection import MediaDayClient
from client.errors import ConflictError
from client.events import ConnectionState, ItemChanged
from infra.local.runner import LocalStack
from mediaday.models import Call, Slot
from tests.support.client_options import STACK
from tests.support.faultproxy import FaultProxy
from tests.support.stack import connection_id_of

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def client(stack: LocalStack, role: str = "producer", station: str | None = None, **kw):
    url = kw.pop("url", stack.ws_url)
    return MediaDayClient(url, stack.token(role, station), options=kw.pop("options", STACK), **kw)


def disconnect(stack: LocalStack, connection: str) -> None:
    """`DELETE @connections/{id}`: the server closes the socket, as API Gateway does."""
    stack.management_client().delete_connection(ConnectionId=connection)


async def current_rev(stack: LocalStack) -> int:
    async with client(stack) as reader:
        ack = await reader.subscribe("roster")
        assert ack.rev is not None
        return ack.rev


# -- reconnect, resume, dead link ---------------------------------------------------------------
async def test_after_the_server_closes_the_socket_the_client_reconnects_and_resumes(local_stack):
    token = local_stack.token("producer")
    async with FaultProxy("127.0.0.1", local_stack.port) as proxy:
        url = proxy.rewrite(local_stack.ws_url)
        watcher = MediaDayClient(url, token, options=STACK, topics=["station:st-1"])
        async with watcher, client(local_stack) as producer:
            slot = watcher.mirror.slots("st-1")[0]
            changes: list[ItemChanged] = []
            watcher.add_listener(
                lambda e: changes.append(e) if isinstance(e, ItemChanged) else None
            )
            # When the server closes the socket and, while the client is away, the slot changes
            proxy.refuse_new = True
            await asyncio.to_thread(disconnect, local_stack, connection_id_of(local_stack, token))
            await watcher.wait_until(lambda: watcher.state is ConnectionState.RECONNECTING, 5)
            ack = await producer.request(
                "slot.update",
                slot_id=slot.id,
                version=slot.version,
                changes={"title": "Changed while away"},
            )
            await asyncio.sleep(0.5)
            proxy.refuse_new = False
            # Then the client comes back on its own and its resume brings the change
            await watcher.wait_until(
                lambda: (
                    watcher.state is ConnectionState.CONNECTED
                    and watcher.mirror.get("slot", slot.id).title == "Changed while away"
                ),
                15,
            )
            assert watcher.reconnects == 1
            assert watcher.mirror.watermark is not None and watcher.mirror.watermark >= ack.rev
            (change,) = [c for c in changes if c.item.id == slot.id]
            assert change.topic is None  # from the snapshot of the resume, not an event


async def test_a_dead_link_is_detected_by_the_heartbeat_and_replaced(local_stack):
    async with FaultProxy("127.0.0.1", local_stack.port) as proxy:
        watcher = client(local_stack, url=proxy.rewrite(local_stack.ws_url), topics=["calls"])
        async with watcher, client(local_stack) as producer:
            reasons: list[str] = []
            watcher.add_listener(
                lambda e: reasons.append(e.reason) if e.kind == "state" and e.reason else None
            )
            # When the link silently dies (bytes vanish both ways, no close, no reset)
            assert proxy.stall() == 1
            loop = asyncio.get_running_loop()
            started = loop.time()
            await watcher.wait_until(lambda: watcher.state is ConnectionState.RECONNECTING, 5)
            detected = loop.time() - started
            # Then no pong within the bound gives it away ...
            assert detected < 0.5 + 1.0 + 2.0  # heartbeat + pong timeout + slack for a busy CI
            assert any("no pong" in reason for reason in reasons)
            # ... and a new link carries the next change
            await watcher.wait_until(lambda: watcher.state is ConnectionState.CONNECTED, 10)
            ack = await producer.push_call("t-2", "st-2", note="after the outage")
            await watcher.wait_until(
                lambda: watcher.mirror.get("call", ack.item["id"]) is not None, 10
            )
            proxy.release_stalled()


async def test_a_stale_acknowledgement_is_a_conflict_carrying_the_current_call(local_stack):
    crew = client(local_stack, "crew", "st-3", topics=["station:st-3"])
    async with client(local_stack) as producer, crew:
        pushed = await producer.push_call("t-5", "st-3")
        call_id = pushed.item["id"]
        await crew.wait_until(lambda: crew.mirror.get("call", call_id) is not None, 10)
        await producer.ack_call(call_id, 1, "en-route")
        with pytest.raises(ConflictError) as conflict:
            await crew.ack_call(call_id, 1, "arrived")
        assert conflict.value.current["state"] == "en-route"
        await crew.wait_until(lambda: crew.mirror.get("call", call_id).version == 2, 10)
        ack = await crew.ack_call(call_id, 2, "arrived")
        assert ack.item["acked_by"] == "e2e-crew-st-3"


# -- dashboard ----------------------------------------------------------------------------------
async def test_the_dashboard_renders_the_demo_station_and_updates_on_a_change(local_stack):
    console = Console(record=True, width=120, file=io.StringIO(), force_terminal=True)
    stop = asyncio.Event()
    async with (
        client(local_stack, "crew", "st-1", topics=topics_for("st-1")) as crew,
        client(local_stack) as producer,
    ):
        running = asyncio.create_task(watch(crew, console, "st-1", stop, refresh=30.0))
        await asyncio.sleep(0.2)
        first = console.export_text(clear=False)
        ack = await producer.push_call("t-8", "st-1", note="dashboard e2e")
        await crew.wait_until(lambda: crew.mirror.get("call", ack.item["id"]) is not None, 10)
        await asyncio.sleep(0.2)
        stop.set()
        await asyncio.wait_for(running, 5)
    assert "Interview Room A (st-1)" in first and "● live" in first
    slots = sorted(crew.mirror.slots("st-1"), key=lambda s: s.starts_at)
    assert slots and crew.mirror.talent()[slots[0].talent_id].name in first
    assert "dashboard e2e" not in first
    final = console.export_text()
    assert "dashboard e2e" in final and "#21 Jonah Abebe" in final


# -- CLI ----------------------------------------------------------------------------------------
def test_call_push_ack_and_cancel_from_the_command_line(local_stack, capsys):
    base = ["--url", local_stack.ws_url]
    producer = [*base, "--token", local_stack.token("producer")]
    crew = [*base, "--token", local_stack.token("crew", "st-2")]
    assert main(["call", "push", "--talent", "t-3", "--station", "st-2", *producer]) == 0
    call_id = capsys.readouterr().out.split()[1]
    assert main(["call", "ack", call_id, "--state", "en-route", *crew]) == 0
    assert f"call {call_id}: en-route (version 2)" in capsys.readouterr().out
    assert main(["call", "cancel", call_id, *producer]) == 0
    assert main(["call", "ack", call_id, "--state", "done", *crew]) == 1
    assert "invalid_state" in capsys.readouterr().err
    # a crew of another station may not touch it
    other = [*base, "--token", local_stack.token("crew", "st-4")]
    assert main(["call", "cancel", call_id, *other]) == 1
    assert "forbidden" in capsys.readouterr().err


def test_a_forged_token_is_refused_at_the_handshake(local_stack, capsys):
    token = local_stack.token("producer")[:-4] + "AAAA"
    assert main(["schedule", "export", "--url", local_stack.ws_url, "--token", token]) == 3
    assert "the server refused the token (HTTP 403" in capsys.readouterr().err


def test_importing_a_good_csv_writes_every_row_once(local_stack, tmp_path, capsys):
    rows = [
        f"e2e-sl-{n:02d},st-4,t-{n % 8 + 1},2026-06-01 {8 + n // 4:02d}:{n % 4 * 15:02d},"
        f"2026-06-01 {8 + n // 4:02d}:{n % 4 * 15 + 10:02d},Import {n}"
        for n in range(30)
    ]
    sheet = tmp_path / "day.csv"
    sheet.write_text("id,station_id,talent_id,starts_at,ends_at,title\n" + "\n".join(rows) + "\n")
    args = ["--url", local_stack.ws_url, "--token", local_stack.token("producer")]
    assert main(["schedule", "import", str(sheet), *args]) == 0
    assert "30 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert main(["schedule", "import", str(sheet), *args]) == 0
    assert "0 created, 0 updated, 30 unchanged" in capsys.readouterr().out
    assert main(["schedule", "export", "--station", "st-4", *args]) == 0
    exported = [line for line in capsys.readouterr().out.splitlines() if "e2e-sl-" in line]
    assert len(exported) == 30
    assert exported[0].startswith("e2e-sl-00,st-4,t-1,2026-06-01T08:00:00+00:00")


def test_importing_a_csv_with_bad_rows_reports_them_and_writes_nothing(
    local_stack, tmp_path, capsys
):
    sheet = tmp_path / "bad.csv"
    sheet.write_text(
        "station_id,talent_id,starts_at,ends_at,title\n"
        "st-1,t-1,2026-06-02 09:00,2026-06-02 09:10,fine\n"
        "st-9,t-1,2026-06-02 09:00,2026-06-02 09:10,no such station\n"
        "st-1,t-1,2026-06-02 09:00,soon,bad time\n"
    )
    args = ["--url", local_stack.ws_url, "--token", local_stack.token("producer")]
    before = asyncio.run(current_rev(local_stack))
    assert main(["schedule", "import", str(sheet), *args]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{sheet}:3: station_id: no station 'st-9' on the roster"
    assert err[1].startswith(f"{sheet}:4: ends_at: not a date and time")
    assert err[2].endswith("nothing was imported")
    assert asyncio.run(current_rev(local_stack)) == before


def test_shot_lists_import_and_a_crew_marks_a_shot_captured(local_stack, tmp_path, capsys):
    sheet = tmp_path / "shots.csv"
    sheet.write_text(
        "id,station_id,talent_id,description,position,status\n"
        "e2e-sh-1,st-3,t-4,Slow walk-in,1,\n"
        "e2e-sh-2,st-3,t-4,Hype line,2,skipped\n"
    )
    producer = ["--url", local_stack.ws_url, "--token", local_stack.token("producer")]
    crew = ["--url", local_stack.ws_url, "--token", local_stack.token("crew", "st-3")]
    assert main(["shots", "import", str(sheet), *producer]) == 0
    assert main(["shots", "set", "e2e-sh-1", "--status", "captured", *crew]) == 0
    capsys.readouterr()
    assert main(["shots", "export", "--station", "st-3", *producer]) == 0
    out = capsys.readouterr().out
    assert "e2e-sh-1,st-3,t-4,Slow walk-in,1,captured" in out
    assert "e2e-sh-2,st-3,t-4,Hype line,2,skipped" in out


def test_watch_once_prints_a_crew_dashboard(local_stack, capsys):
    token = local_stack.token("crew", "st-2")
    assert main(["watch", "--once", "--url", local_stack.ws_url, "--token", token]) == 0
    out = capsys.readouterr().out
    assert "Photo Wall (st-2)" in out and "NOW" in out and "● live" in out


def test_the_mirror_items_are_typed(local_stack):
    async def read() -> tuple[list[Slot], list[Call]]:
        async with client(local_stack, topics=["schedule", "calls"]) as reader:
            return reader.mirror.slots(), reader.mirror.calls()

    slots, calls = asyncio.run(read())
    assert slots and all(isinstance(s, Slot) for s in slots)
    assert all(isinstance(c, Call) for c in calls)


@pytest.fixture(autouse=True)
def _no_inherited_connection(monkeypatch):
    for name in ("MEDIADAY_URL", "MEDIADAY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
