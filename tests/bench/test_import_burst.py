"""Smoke: a schedule import into a running stack reaches every kiosk, batched and row by
row, in one run (the figures are times; this checks what they measure, not the times)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bench.import_burst import ATHLETES, STATIONS, schedule_csv

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_both_imports_converge_on_every_kiosk_and_batched_takes_fewer_requests(smoke):
    outcome = smoke("import_burst")
    rows, kiosks = outcome["parameters"]["rows"], outcome["parameters"]["kiosks"]
    details = outcome["details"]
    for name in ("batched", "row_by_row"):
        # every kiosk held every imported slot (the run raises otherwise), after it returned
        assert details[name]["converged_ms"] >= details[name]["returned_ms"] > 0
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
