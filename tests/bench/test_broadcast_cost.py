"""Smoke: a broadcast's DynamoDB cost does not grow with unrelated connections."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e]  # DynamoDB Local


def test_broadcast_cost_is_flat_and_read_units_are_reported(smoke):
    # When the cost benchmark runs at its smoke size against DynamoDB Local
    outcome = smoke("broadcast_cost")

    # Then every size costs the same Queries and read units, and never a Scan
    summary = outcome["details"]["summary"]
    assert len(summary) == len(outcome["parameters"]["unrelated"])
    for size in summary.values():
        assert size["operations"] == ["Query"]
        assert size["requests"] == 2  # one per topic of the slot: schedule, station:st-1
        assert size["units"] > 0  # DynamoDB Local reports consumed capacity
    assert len({size["units"] for size in summary.values()}) == 1
    assert all(figure["met"] is not False for figure in outcome["figures"])
    # while the reference scanned the whole table each time
    for size in outcome["details"].values():
        if "naive" in size:
            assert set(size["naive"]["requests"]) == {"Scan"}
