"""Is a connection still admitted? Expiry and revocation on every message, without AWS."""

from __future__ import annotations

import pytest

from mediaday.connections import Connection
from mediaday.errors import Unauthorized
from mediaday.models import Role
from mediaday.revocations import Revocation
from messaging.access import check_access
from messaging.context import Collaborators
from tests.support.delivery import RecordingPoster

NOW = 1_900_000_000.0
DEVICE = Connection(
    connection_id="c-1",
    media_day="md",
    role=Role.CREW,
    station="st-1",
    subject="cam-a",
    connected_at=0,
    expires_at=0,
    token_expires_at=int(NOW) + 60,
    token_id="J" * 22,
    last_active=int(NOW * 1000),
)


class Store:
    """The connection store calls access checks make (and the devices topic lookups)."""

    def __init__(self) -> None:
        self.removed: list[str] = []
        self.touched: list[int] = []

    def remove(self, connection_id: str) -> int:
        self.removed.append(connection_id)
        return 1

    def touch(self, connection_id: str, *, now_ms: int) -> None:
        self.touched.append(now_ms)

    def subscribers(self, media_day: str, topic: str):
        return iter(())


class Revocations:
    def __init__(self, *revoked: Revocation) -> None:
        self.revoked = revoked

    def find(self, media_day, subject, token_id, *, now, fresh=False):
        return next((r for r in self.revoked if r.covers(subject, token_id)), None)


def _deps(store, poster, revocations=None, now=NOW) -> Collaborators:
    return Collaborators(
        connections=store,  # type: ignore[arg-type]
        coordination=None,  # type: ignore[arg-type]
        poster=poster,
        clock=lambda: now,
        revocations=revocations,  # type: ignore[arg-type]
    )


def test_a_live_unrevoked_connection_passes_and_is_marked_active_once_a_minute():
    store, poster = Store(), RecordingPoster()
    check_access(DEVICE, "r1", _deps(store, poster, Revocations(), now=NOW + 30))
    assert store.touched == []  # active 30 s ago: nothing written
    check_access(DEVICE, "r2", _deps(store, poster, Revocations(), now=NOW + 59.9))
    assert store.touched == []
    stale = DEVICE.model_copy(update={"last_active": int((NOW - 61) * 1000)})
    check_access(stale, "r3", _deps(store, poster, Revocations()))
    assert store.touched == [int(NOW * 1000)]
    assert poster.delivered == [] and poster.gone == set()


@pytest.mark.parametrize(
    ("revocations", "now", "reason"),
    [
        (Revocations(), NOW + 60, "expired"),
        (Revocations(Revocation(media_day="md", subject="cam-a")), NOW, "revoked"),
        (Revocations(Revocation(media_day="md", token_id="J" * 22)), NOW, "revoked"),
    ],
)
def test_an_expired_or_revoked_connection_is_told_closed_and_forgotten(revocations, now, reason):
    store, poster = Store(), RecordingPoster()
    with pytest.raises(Unauthorized) as refused:
        check_access(DEVICE, "r1", _deps(store, poster, revocations, now=now))
    assert reason in refused.value.message
    (notice,) = poster.frames("c-1")
    assert (notice["type"], notice["id"], notice["code"]) == ("error", "r1", "unauthorized")
    assert poster.gone == {"c-1"} and store.removed == ["c-1"]


def test_another_tokens_revocation_leaves_the_connection_alone():
    store, poster = Store(), RecordingPoster()
    other = Revocations(Revocation(media_day="md", token_id="K" * 22))
    check_access(DEVICE, "r1", _deps(store, poster, other))
    assert poster.gone == set() and store.removed == []
