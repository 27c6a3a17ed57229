"""Role and station come from the connection record: who may do what."""

from __future__ import annotations

import pytest

from mediaday.connections import Connection
from mediaday.errors import Forbidden
from mediaday.models import Role
from mediaday.protocol import ACTIONS, READ_ACTIONS
from messaging.authorization import CREW_WRITES, authorize_action, authorize_station


def connection(role: Role, station: str | None = None) -> Connection:
    return Connection(
        connection_id="c",
        media_day="md",
        role=role,
        subject="s",
        station=station,
        connected_at=0,
        expires_at=0,
        token_expires_at=0,
    )


PRODUCER = connection(Role.PRODUCER)
CREW = connection(Role.CREW, "st-1")
KIOSK = connection(Role.KIOSK)


@pytest.mark.parametrize("action", ACTIONS)
def test_producers_may_do_everything(action):
    authorize_action(PRODUCER, action)
    authorize_station(PRODUCER, action, "st-9")


@pytest.mark.parametrize("action", ACTIONS)
def test_kiosks_may_only_read(action):
    if action in READ_ACTIONS:
        authorize_action(KIOSK, action)
    else:
        with pytest.raises(Forbidden, match="a kiosk connection may not"):
            authorize_action(KIOSK, action)


@pytest.mark.parametrize("action", ACTIONS)
def test_crews_may_read_set_shot_status_and_ack_calls_only(action):
    if action in READ_ACTIONS or action in CREW_WRITES:
        authorize_action(CREW, action)
    else:
        with pytest.raises(Forbidden):
            authorize_action(CREW, action)


def test_crews_act_only_on_their_own_station():
    authorize_station(CREW, "call.ack", "st-1")
    with pytest.raises(Forbidden, match="own station"):
        authorize_station(CREW, "call.ack", "st-2")
    with pytest.raises(Forbidden):
        authorize_station(CREW, "call.ack", None)


def test_a_kiosk_is_never_station_authorized():
    with pytest.raises(Forbidden):
        authorize_station(KIOSK, "shot.set_status", "st-1")
