"""Running the day against DynamoDB Local, whose transactions are atomic across threads:
a shift racing an edit, and two producers racing to book one athlete. Through the message
service itself (`handle_message`), so the checks inside the transaction attempt are what
is tested, not a store call."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from mediaday.connections import Connection, ConnectionStore
from mediaday.coordination import CoordinationStore
from mediaday.models import Role, Slot, Station, Talent
from messaging.context import Collaborators
from messaging.service import handle_message
from tests.support.delivery import RecordingPoster

pytestmark = [pytest.mark.e2e]

DAY = "race"
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


@pytest.fixture
def deps(local_tables) -> Collaborators:
    connections = ConnectionStore(local_tables.connections, local_tables.client)
    coordination = CoordinationStore(local_tables.coordination, local_tables.client)
    now = int(time.time())
    for n in (1, 2):
        connections.add(
            Connection(
                connection_id=f"c-{n}",
                media_day=DAY,
                role=Role.PRODUCER,
                subject=f"producer-{n}",
                connected_at=now * 1000,
                expires_at=now + 7200,
                token_expires_at=now + 3600,
            )
        )
    coordination.create(Station(media_day=DAY, id="st-3", name="Room 3"), actor="seed")
    for talent in ("t-0", "t-1", "t-2", "t-3", "t-4", "t-x"):
        coordination.create(Talent(media_day=DAY, id=talent, name=talent), actor="seed")
    for n in range(5):
        coordination.create(
            Slot(
                media_day=DAY,
                id=f"sl-{n}",
                station_id="st-3",
                talent_id=f"t-{n}",
                starts_at=START + timedelta(minutes=10 * n),
                ends_at=START + timedelta(minutes=10 * n + 10),
            ),
            actor="seed",
        )
    return Collaborators(
        connections=connections, coordination=coordination, poster=RecordingPoster()
    )


def send(deps: Collaborators, connection: str, **message) -> dict:
    reply = handle_message(json.dumps(message), connection_id=connection, deps=deps)
    return json.loads(reply.encode())


@pytest.mark.parametrize("attempt", range(3))
def test_a_shift_racing_an_edit_is_never_half_applied(deps, attempt):
    # Given two producers who both saw sl-2 at version 1
    start = threading.Barrier(2)

    def shift() -> dict:
        start.wait()
        return send(
            deps,
            "c-1",
            action="schedule.shift",
            id=f"shift-{attempt}",
            station_id="st-3",
            minutes=10,
            starting_at=START.isoformat(),
        )

    def edit() -> dict:
        start.wait()
        return send(
            deps,
            "c-2",
            action="slot.update",
            id=f"edit-{attempt}",
            slot_id="sl-2",
            version=1,
            changes={
                "title": "moved by hand",
                "starts_at": (START + timedelta(minutes=21)).isoformat(),
                "ends_at": (START + timedelta(minutes=29)).isoformat(),
            },
        )

    # When one shifts station 3 while the other edits one of its slots
    with ThreadPoolExecutor(2) as pool:
        shifted, edited = (f.result() for f in [pool.submit(shift), pool.submit(edit)])
    slots = {s.id: s for s in deps.coordination.items_of_type(DAY, "slot")}
    # Then every slot moved exactly once (all or nothing), and the edit either came first
    # (and was shifted with the rest) or lost with `conflict` on the shifted version
    assert shifted["type"] == "ack", shifted
    for n in (0, 1, 3, 4):
        assert slots[f"sl-{n}"].starts_at == START + timedelta(minutes=10 * n + 10)
        assert slots[f"sl-{n}"].version == 2
    if edited["type"] == "ack":
        assert slots["sl-2"].title == "moved by hand"
        assert slots["sl-2"].starts_at == START + timedelta(minutes=31)  # edited, then shifted
        assert slots["sl-2"].version == 3
    else:
        assert edited["code"] == "conflict" and edited["current"]["version"] == 2
        assert slots["sl-2"].starts_at == START + timedelta(minutes=30)
    revs = sorted(item["rev"] for item in shifted["items"])
    assert revs == list(range(revs[0], revs[0] + 5))  # consecutive


def test_two_producers_racing_to_book_one_athlete_cannot_both_win(deps):
    start = threading.Barrier(2)

    def book(n: int) -> dict:
        start.wait()
        slot = {
            "id": f"sl-new-{n}",
            "station_id": "st-3",
            "talent_id": "t-x",
            "starts_at": (START + timedelta(hours=3, minutes=n)).isoformat(),
            "ends_at": (START + timedelta(hours=3, minutes=n + 10)).isoformat(),
        }
        return send(deps, f"c-{n}", action="slot.create", id=f"book-{n}", slot=slot)

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(book, (1, 2)))
    assert sorted(r["type"] for r in replies) == ["ack", "error"], replies
    (refused,) = [r for r in replies if r["type"] == "error"]
    assert refused["code"] == "double_booked"
    booked = [s for s in deps.coordination.items_of_type(DAY, "slot") if s.talent_id == "t-x"]
    assert len(booked) == 1
