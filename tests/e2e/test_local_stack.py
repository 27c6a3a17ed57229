"""The local stack end to end, as users run it: `mediaday serve` with the demo day, real
WebSocket clients on loopback, the real handlers, DynamoDB Local and the stream poller."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from client.cli import main as cli_main
from client.commands.common import token_claims
from infra.local.layout import COORDINATION_TABLE, credentials_file, key_file, stack_file
from infra.local.runner import LocalStack
from mediaday.coordination import CoordinationStore
from mediaday.keys import FileKeyProvider
from mediaday.models import Role, item_to_plain
from mediaday.tokens import issue_token
from tests.support.stack import connection_id_of
from tests.support.wsclient import ProtocolClient

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def dynamodb(stack: LocalStack):
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.dynamodb_endpoint,
        region_name="eu-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def table_store(stack: LocalStack) -> CoordinationStore:
    return CoordinationStore(COORDINATION_TABLE, dynamodb(stack))


def management(stack: LocalStack):
    """Signed with the stack's local credentials: @connections refuses anything else."""
    credentials = stack.management_credentials
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=stack.management_url,
        region_name=credentials["region"],
        aws_access_key_id=credentials["access_key_id"],
        aws_secret_access_key=credentials["secret_access_key"],
        config=Config(retries={"max_attempts": 1}),
    )


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
    async with connect(local_stack.ws_url, subprotocols=["mediaday.v1", token]) as ws:
        assert ws.subprotocol == "mediaday.v1"
        await ws.send(json.dumps({"action": "ping", "id": "p1"}))
        assert json.loads(await ws.recv())["type"] == "pong"


async def test_management_api_post_get_delete_and_gone_after_close(local_stack):
    api = management(local_stack)
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


def connection_rows(stack: LocalStack, connection_id: str) -> list:
    return dynamodb(stack).query(
        TableName="mediaday-connections",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"conn#{connection_id}"}},
        ConsistentRead=True,
    )["Items"]


async def test_a_message_over_128_kb_closes_the_connection_with_1009(local_stack):
    async with connect(local_stack.url_for("kiosk")) as ws:
        frames = ["x" * (32 * 1024)] * 4 + ["x"]
        await ws.send(iter(frames))
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 1009


async def test_a_client_that_drops_and_syncs_holds_exactly_the_tables_state(local_stack):
    store = table_store(local_stack)
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


# -- expiry and revocation: sockets closed through DELETE @connections ---------------
REVOKE_GOAL_SECONDS = 2.0


def _token(stack: LocalStack, subject: str, *, ttl_seconds: int = 600) -> str:
    return issue_token(
        FileKeyProvider(key_file(stack.data_dir)).current_key(),
        role=Role.CREW,
        media_day=stack.media_day,
        subject=subject,
        station="st-1",
        ttl_seconds=ttl_seconds,
    )


async def _closed_at(ws) -> float:
    await ws.wait_closed()
    return time.perf_counter()


async def test_a_revoked_subjects_sockets_are_closed_within_2_s_and_refused_after(local_stack):
    # Given two tablets of one subject, a tablet of another, and a producer
    token = _token(local_stack, "e2e-revoked-cam")
    revoked = [await connect(f"{local_stack.ws_url}?token={token}") for _ in range(2)]
    other = await connect(f"{local_stack.ws_url}?token={_token(local_stack, 'e2e-other-cam')}")
    producer = await ProtocolClient.open(local_stack.url_for("producer"))
    try:
        watching = await producer.request("subscribe", topics=["devices"])
        assert watching["type"] == "ack", watching
        # When the producer revokes the subject
        started = time.perf_counter()
        ack = await producer.request("revoke", subject="e2e-revoked-cam")
        closed = await asyncio.wait_for(
            asyncio.gather(*(_closed_at(ws) for ws in revoked)), REVOKE_GOAL_SECONDS * 2
        )
        elapsed = max(closed) - started
        print(
            f"revoked subject: {len(revoked)} sockets closed {elapsed * 1000:.0f} ms after revoke"
        )
        # Then both of its sockets are closed within the goal, told why first
        assert ack["type"] == "ack" and len(ack["item"]["closed"]) == 2, ack
        assert elapsed < REVOKE_GOAL_SECONDS
        assert all(ws.close_code == 1000 for ws in revoked)
        # And the producer saw them revoked on the devices topic
        change = await producer.next_event(type="device", change="revoked")
        assert change["device"]["subject"] == "e2e-revoked-cam"
        # And the other subject's socket still works
        await other.send(json.dumps({"action": "ping", "id": "p1"}))
        assert json.loads(await asyncio.wait_for(other.recv(), 5))["type"] == "pong"
        # And the revoked token is refused at the handshake from now on
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{local_stack.ws_url}?token={token}"):
                pass
        assert refused.value.response.status_code == 403
    finally:
        await producer.close()
        await other.close()


async def test_an_idle_socket_is_closed_within_seconds_of_its_token_expiry(local_stack):
    # Given a crew tablet whose 3-second token expires while it sends nothing
    ttl = 3
    issued = time.time()
    async with connect(
        f"{local_stack.ws_url}?token={_token(local_stack, 'e2e-idle', ttl_seconds=ttl)}"
    ) as ws:
        # When it just listens
        notice = json.loads(await asyncio.wait_for(ws.recv(), ttl + 6))
        await asyncio.wait_for(ws.wait_closed(), 3)
        late = time.time() - (int(issued) + ttl)
        print(f"idle socket closed {late:.2f} s after its token expired")
    # Then the server told it to reconnect with a fresh token and closed it soon after expiry
    assert (notice["type"], notice["code"]) == ("error", "unauthorized")
    assert "fresh token" in notice["message"]
    assert late < 4.0


# -- local hardening and abuse limits (issue #15 §4, §7) ---------------------------------------
def test_the_stacks_secret_files_are_readable_by_their_user_only(local_stack):
    # stack.json holds a ready producer token; the key signs tokens; the secret signs calls
    for path in (stack_file, key_file, credentials_file):
        assert stat.S_IMODE(path(local_stack.data_dir).stat().st_mode) == 0o600, path.__name__


def test_the_running_stacks_management_api_refuses_an_unsigned_post(local_stack):
    url = f"{local_stack.management_url}/@connections/anyone"
    request = urllib.request.Request(url, data=b"injected", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert refused.value.headers["x-amzn-ErrorType"] == "ForbiddenException"


def test_the_stacks_dynamodb_local_answers_on_loopback_only(local_stack):
    port = int(local_stack.dynamodb_endpoint.rsplit(":", 1)[1])
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # the address the default route leaves from
        address = probe.getsockname()[0]
    except OSError:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    finally:
        probe.close()
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=2).close()


async def test_a_socket_refused_30_times_in_a_minute_is_told_and_closed(local_stack):
    token = _token(local_stack, "e2e-garbage", ttl_seconds=600)
    async with connect(f"{local_stack.ws_url}?token={token}") as ws:
        # When a broken client sends 30 malformed frames
        answers = []
        for _ in range(30):
            await ws.send("{not json")
            answers.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        # Then each is refused, the 30th says the connection is closed, and it is (1000:
        # DELETE @connections, the only close API Gateway lets the service ask for)
        assert {answer["code"] for answer in answers} == {"invalid"}
        assert "connection is closed" in answers[-1]["message"]
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 1000


def test_the_smoke_command_walks_connect_to_event_with_a_freshly_minted_token(local_stack, capsys):
    # Given a producer token minted as the deploy workflow mints it, for a day of its own
    from client.cli import main

    assert (
        main(
            [
                "token",
                "--role",
                "producer",
                "--media-day",
                "smoke",
                "--ttl",
                "10m",
                "--data-dir",
                str(local_stack.data_dir),
            ]
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    # When `mediaday smoke` runs against the stack
    code = main(["smoke", "--url", local_stack.ws_url, "--token", token, "--timeout", "15"])
    # Then every step passed: connect, ping, subscribe, write, the write's event, disconnect
    out = capsys.readouterr()
    assert code == 0, out.err
    for step in ("connect", "ping", "subscribe", "write", "event", "disconnect"):
        assert f"{step} " in out.out, out.out


def test_the_smoke_command_names_the_step_that_failed(local_stack, capsys):
    from client.cli import main

    # Given a token the stack did not sign
    code = main(["smoke", "--url", local_stack.ws_url, "--token", "not-a-token"])
    # Then it fails at connect, and says so
    assert code == 1
    assert "FAILED at connect" in capsys.readouterr().err


async def test_the_cli_lists_devices_and_revokes_one_token_of_a_subject(local_stack, capsys):
    # Given two tablets of one person, each with its own token
    first, second = _token(local_stack, "e2e-cli-cam"), _token(local_stack, "e2e-cli-cam")
    producer = ["--url", local_stack.ws_url, "--token", local_stack.info["tokens"]["producer"]]
    async with (
        connect(f"{local_stack.ws_url}?token={first}") as revoked,
        connect(f"{local_stack.ws_url}?token={second}") as kept,
    ):
        # When a producer lists the devices, then revokes the first tablet's token
        assert await asyncio.to_thread(cli_main, ["devices", *producer]) == 0
        listed = capsys.readouterr().out
        jti = token_claims(first)["jti"]
        command = ["revoke", "--token-id", jti, *producer]
        assert await asyncio.to_thread(cli_main, command) == 0
        # Then the list showed both, the first socket closes and the second stays
        assert listed.count("e2e-cli-cam") == 2
        assert "1 connection(s) closed" in capsys.readouterr().out
        await asyncio.wait_for(revoked.wait_closed(), REVOKE_GOAL_SECONDS)
        await kept.send(json.dumps({"action": "ping", "id": "p1"}))
        assert json.loads(await asyncio.wait_for(kept.recv(), 5))["type"] == "pong"


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
