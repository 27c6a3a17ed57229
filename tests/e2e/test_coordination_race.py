"""The version race for real: concurrent writers against DynamoDB Local, whose
transactions are atomic across threads (moto's are not, see
tests/integration/mediaday/test_coordination.py)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from mediaday.coordination import CoordinationStore
from mediaday.errors import Conflict, StoreBusy
from mediaday.models import Slot

pytestmark = [pytest.mark.e2e]

WRITERS = 8
START = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def slot(slot_id: str) -> Slot:
    return Slot(
        media_day="race",
        id=slot_id,
        station_id="st-1",
        talent_id="t-1",
        starts_at=START,
        ends_at=START + timedelta(minutes=10),
    )


@pytest.fixture
def store(local_tables) -> CoordinationStore:
    return CoordinationStore(local_tables.coordination, local_tables.client)


def test_concurrent_writers_with_the_same_version_exactly_one_wins(store):
    # Given a slot at version 1 and eight writers who all saw version 1
    base = store.create(slot("sl-1"), actor="setup").item
    start = threading.Barrier(WRITERS)

    def write(n: int) -> str:
        start.wait()
        try:
            store.update(
                base.model_copy(update={"title": f"w{n}"}), expected_version=1, actor=f"w{n}"
            )
        except Conflict:
            return "conflict"
        return f"w{n}"

    # When they write at the same moment
    with ThreadPoolExecutor(WRITERS) as pool:
        outcomes = list(pool.map(write, range(WRITERS)))
    # Then exactly one wins, the others get a conflict, and the winner's write is stored
    winners = [outcome for outcome in outcomes if outcome != "conflict"]
    assert len(winners) == 1, outcomes
    current = store.get("race", "slot", "sl-1")
    assert (current.title, current.version, current.rev) == (winners[0], 2, 2)
    assert store.current_rev("race") == 2


def test_concurrent_creates_get_unique_gapless_revs(store):
    start = threading.Barrier(WRITERS)

    def create_five(writer: int) -> list[int]:
        start.wait()
        revs = []
        for n in range(5):
            while True:  # a writer that lost the counter race too often may retry
                try:
                    written = store.create(slot(f"sl-{writer}-{n}"), actor=f"w{writer}")
                except StoreBusy:
                    continue
                revs.append(written.item.rev)
                break
        return revs

    with ThreadPoolExecutor(WRITERS) as pool:
        revs = [rev for batch in pool.map(create_five, range(WRITERS)) for rev in batch]
    total = WRITERS * 5
    assert sorted(revs) == list(range(1, total + 1))
    assert store.current_rev("race") == total
    assert [item.rev for item in store.changes_since("race", 0)] == list(range(1, total + 1))
