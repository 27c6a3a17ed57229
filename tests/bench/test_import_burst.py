"""Smoke: a schedule import into a running stack reaches every kiosk, batched and row by
row, in one run (the figures are times; this checks what they measure, not the times)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from bench.import_burst import ATHLETES, STATIONS, schedule_csv
from bench.kiosk_fleet import _converged


@pytest.mark.e2e
@pytest.mark.slow
def test_both_imports_converge_on_every_kiosk_and_batched_takes_fewer_requests(smoke):
    outcome = smoke("import_burst")
    rows, kiosks = outcome["parameters"]["rows"], outcome["parameters"]["kiosks"]
    details = outcome["details"]
    for name in ("batched", "row_by_row"):
        # every kiosk held every imported slot (the run raises otherwise); the kiosks run in
        # a process of their own, so they may hold the last row before its ack is read
        assert details[name]["converged_ms"] > 0 and details[name]["returned_ms"] > 0
    assert details["batched"]["requests"] == -(-rows // 99)
    assert details["row_by_row"]["requests"] == rows
    names = [figure["name"] for figure in outcome["figures"]]
    assert names[0] == f"{rows} rows batched: every one of {kiosks} kiosks matches"


def test_the_generated_day_never_books_an_athlete_twice_at_once():
    day = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    lines = schedule_csv(STATIONS * ATHLETES, day, "x").splitlines()[1:]
    by_time: dict[str, set[str]] = {}
    for line in lines:
        _, _, talent, starts, _, _ = line.split(",")
        assert talent not in by_time.setdefault(starts, set())
        by_time[starts].add(talent)


class _Kiosk:
    """A kiosk whose mirror fills in as `arrive` says: `mirror.get` is all the check reads."""

    def __init__(self, held: set[str]) -> None:
        self.held = held
        self.mirror = self

    def get(self, item_type: str, item_id: str) -> object | None:
        return item_id if item_type == "slot" and item_id in self.held else None


async def test_the_fleet_reports_convergence_only_once_the_last_kiosk_holds_every_slot():
    early, late = _Kiosk({"a", "b"}), _Kiosk({"a"})

    async def arrive_later() -> None:
        await asyncio.sleep(0.1)
        late.held.add("b")

    started = time.monotonic()
    task = asyncio.create_task(arrive_later())
    state, when = await _converged([early, late], {"a", "b"}, 5.0)  # type: ignore[list-item]
    await task
    assert state == "converged" and when - started >= 0.1
    # a kiosk that never gets there is counted, not waited for forever
    assert await _converged([early, _Kiosk(set())], {"a"}, 0.1) == ("timeout", 1.0)  # type: ignore[list-item]
