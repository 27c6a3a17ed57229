"""Smoke: a snapshot's read does not pay for the day's tombstones."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e]  # DynamoDB Local


def test_a_snapshot_costs_the_same_cpu_with_tombstones_piled_up(smoke):
    # When the snapshot benchmark runs at its smoke size against DynamoDB Local
    outcome = smoke("snapshot_cost")

    # Then both sizes were read, each holding only the live slots (the benchmark checks
    # the count), and the caller's CPU figure is judged against the day without tombstones
    sizes = outcome["parameters"]
    assert set(outcome["details"]) == {"0", str(sizes["tombstones"])}
    cpu = next(f for f in outcome["figures"] if f["name"].endswith("caller CPU"))
    assert cpu["reference"] > 0 and cpu["target"] == "<= 1.5x ref"
