"""The message Lambda under moto: a seeded roster, one connection per role, and `send`
which pushes an API-Gateway-shaped $default event through `on_message`."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local.events import LambdaContext
from mediaday.connections import Connection
from mediaday.coordination import COUNTER_ATTRIBUTE
from mediaday.models import (
    PK,
    REV_COUNTER_SK,
    SK,
    Call,
    Role,
    Shot,
    Slot,
    Station,
    Talent,
    item_to_dynamo,
    media_day_pk,
    plain_to_dynamo,
)
from messaging.handler import on_message
from tests.conftest import CONNECTIONS_TABLE, COORDINATION_TABLE
from tests.support.delivery import RecordingPoster
from tests.support.events import message_event
from tests.support.tables import table_rows

MEDIA_DAY = "md-test"
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
CONNECTIONS = {
    "producer": ("c-producer", Role.PRODUCER, None),
    "crew": ("c-crew", Role.CREW, "st-1"),  # crew of station st-1
    "kiosk": ("c-kiosk", Role.KIOSK, None),
}


@dataclass
class Client:
    """Sends messages as one connection and keeps what came back."""

    connection_id: str
    poster: RecordingPoster
    replies: list[dict[str, Any]] = field(default_factory=list)

    def send(self, body: Any = None, *, raw: str | None = None) -> dict[str, Any]:
        event = message_event(self.connection_id, body, raw=raw)
        response = on_message(event, LambdaContext("test-function"), poster=self.poster)
        assert response["statusCode"] == 200
        frame: dict[str, Any] = json.loads(response["body"])
        self.replies.append(frame)
        return frame

    def request(self, action: str, **fields: Any) -> dict[str, Any]:
        return self.send({"action": action, "id": uuid.uuid4().hex, **fields})


def seed_connection(store, name: str, *, connection_id: str | None = None) -> Connection:
    default_id, role, station = CONNECTIONS[name]
    now = int(time.time())
    connection = Connection(
        connection_id=connection_id or default_id,
        media_day=MEDIA_DAY,
        role=role,
        subject=f"{name}-subject",
        station=station,
        connected_at=now * 1000,
        expires_at=now + 7200,
        token_expires_at=now + 3600,
    )
    store.add(connection)
    return connection


def slot_fields(**overrides: Any) -> dict[str, Any]:
    """A new slot at st-1 for t-2, who has no slot yet (t-1 is booked at START twice:
    the seed predates the double-booking rule, and edits that keep a booking pass it)."""
    fields = {
        "station_id": "st-1",
        "talent_id": "t-2",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(minutes=10)).isoformat(),
    }
    return {**fields, **overrides}


# A valid request per action against the seeded roster (crew's station is st-1).
MESSAGES: dict[str, dict[str, Any]] = {
    "ping": {},
    "subscribe": {"topics": ["schedule", "shots:st-1"]},
    "unsubscribe": {"topics": ["schedule"]},
    "sync": {"since": 0, "topics": ["calls"]},
    "slot.create": {"slot": slot_fields(id="sl-new", title="Walk-on")},
    "slot.update": {"slot_id": "sl-1", "version": 1, "changes": {"title": "Post-game"}},
    "slot.move": {"slot_id": "sl-1", "version": 1, "station_id": "st-2"},
    "slot.delete": {"slot_id": "sl-1", "version": 1},
    "shot.add": {"shot": {"station_id": "st-1", "talent_id": "t-2", "description": "Close"}},
    "shot.update": {"shot_id": "sh-1", "version": 1, "changes": {"description": "Tight"}},
    "shot.set_status": {"shot_id": "sh-1", "version": 1, "status": "captured"},
    "shot.delete": {"shot_id": "sh-1", "version": 1},
    "call.push": {"call": {"id": "ca-new", "talent_id": "t-1", "station_id": "st-1"}},
    "call.ack": {"call_id": "ca-1", "version": 1, "state": "arrived"},
    "call.cancel": {"call_id": "ca-1", "version": 1},
    "station.put": {"station": {"id": "st-9", "name": "Podcast booth", "kind": "podcast"}},
    "talent.put": {"talent": {"id": "t-9", "name": "Jordan Lee", "number": "12"}},
    "schedule.shift": {"station_id": "st-1", "minutes": 10, "starting_at": START.isoformat()},
    "slot.arrive": {"slot_id": "sl-1", "version": 1},
    "slot.done": {"slot_id": "sl-1", "version": 2},  # after PREPARED["slot.done"]
    "notice.post": {"notice": {"id": "nt-new", "text": "Lunch in 10 minutes"}},
    "notice.update": {"notice_id": "nt-1", "version": 1, "changes": {"level": "urgent"}},
    "notice.clear": {"notice_id": "nt-1", "version": 1},
    "batch": {
        "writes": [
            {
                "action": "slot.update",
                "id": "w-1",
                "slot_id": "sl-1",
                "version": 1,
                "changes": {"title": "Batched"},
            },
            {
                "action": "shot.set_status",
                "id": "w-2",
                "shot_id": "sh-1",
                "version": 1,
                "status": "captured",
            },
        ]
    },
    # device actions (producers): the kiosk connection is the device; nobody holds `tv-9`
    "device.label": {"connection_id": "c-kiosk", "label": "Lobby TV"},
    "device.identify": {"connection_id": "c-kiosk", "seconds": 3},
    "device.redirect": {"connection_id": "c-kiosk", "station_id": "st-2"},
    "revoke": {"subject": "tv-9"},
    # pairing: no screen waits here (test_pairing.py pairs one), so codes are unknown
    "pair.start": {},
    "pair.watch": {},
    "pair.approve": {"code": "abc-def", "role": "kiosk"},
    "pair.reject": {"code": "ABCDEF"},
}
# Actions on connections, not coordination items: they write no item.
DEVICE_ACTIONS = frozenset(
    {"device.label", "device.identify", "device.redirect", "revoke"}
    | {"pair.start", "pair.watch", "pair.approve", "pair.reject"}
)


# What a producer does first so that an action's MESSAGES entry applies (it needs an item
# the seeded roster does not have, or a state it does not start in).
PREPARED: dict[str, tuple[str, dict[str, Any]]] = {
    "slot.done": ("slot.arrive", {"slot_id": "sl-1", "version": 1}),
    "notice.update": ("notice.post", {"notice": {"id": "nt-1", "text": "Lunch at 12:30"}}),
    "notice.clear": ("notice.post", {"notice": {"id": "nt-1", "text": "Lunch at 12:30"}}),
}


@pytest.fixture
def poster() -> RecordingPoster:
    return RecordingPoster()


@pytest.fixture
def roster(coordination_store, dynamodb):
    """Stations st-1, st-2; talents t-1, t-2; on each station a slot (sl-1, sl-2), a shot
    (sh-1, sh-2) and a call (ca-1, ca-2). Every item at version 1, revs 1-10, written in one
    batch exactly as the store stamps them (ten store transactions cost more per test)."""
    items: list[Any] = [
        *(Station(media_day=MEDIA_DAY, id=station, name=station) for station in ("st-1", "st-2")),
        *(Talent(media_day=MEDIA_DAY, id=talent, name=talent) for talent in ("t-1", "t-2")),
    ]
    for suffix in ("1", "2"):
        station = f"st-{suffix}"
        items += [
            Slot(
                media_day=MEDIA_DAY,
                id=f"sl-{suffix}",
                station_id=station,
                talent_id="t-1",
                starts_at=START,
                ends_at=START + timedelta(minutes=10),
            ),
            Shot(
                media_day=MEDIA_DAY,
                id=f"sh-{suffix}",
                station_id=station,
                talent_id="t-1",
                description="Wide",
            ),
            Call(media_day=MEDIA_DAY, id=f"ca-{suffix}", station_id=station, talent_id="t-2"),
        ]
    now_ms = int(time.time() * 1000)
    rows = [
        item_to_dynamo(
            item.model_copy(
                update={"version": 1, "rev": rev, "updated_at": now_ms, "updated_by": "seed"}
            )
        )
        for rev, item in enumerate(items, 1)
    ]
    rows.append(
        plain_to_dynamo(
            {PK: media_day_pk(MEDIA_DAY), SK: REV_COUNTER_SK, COUNTER_ATTRIBUTE: len(items)}
        )
    )
    dynamodb.batch_write_item(
        RequestItems={COORDINATION_TABLE: [{"PutRequest": {"Item": row}} for row in rows]}
    )
    return coordination_store


@pytest.fixture
def clients(connection_store, poster) -> dict[str, Client]:
    """One connected client per role (crew at st-1), sharing one fake poster."""
    for name in CONNECTIONS:
        seed_connection(connection_store, name)
    return {name: Client(conn_id, poster) for name, (conn_id, _, _) in CONNECTIONS.items()}


@pytest.fixture
def coordination_rows(dynamodb):
    """Reads the whole coordination table (for "nothing was written" assertions)."""
    return lambda: table_rows(dynamodb, COORDINATION_TABLE)


@pytest.fixture
def connection_rows(dynamodb):
    return lambda: table_rows(dynamodb, CONNECTIONS_TABLE)
