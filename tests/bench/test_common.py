"""The shared benchmark plumbing: percentiles, ratios, the table, the outcome's JSON."""

from __future__ import annotations

import pytest

from bench.common import Figure, Outcome, bounded_figure, percentile, table


def test_percentile_interpolates_between_closest_ranks():
    values = [40.0, 10.0, 30.0, 20.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 99) == pytest.approx(39.7)


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_ratio_is_value_over_reference_and_absent_without_one():
    assert Figure("m", "f", 90.0, "ms", reference=30.0).ratio == 3.0
    assert Figure("m", "f", 90.0, "ms").ratio is None
    assert Figure("m", "f", 90.0, "ms", reference=0.0).ratio is None


def test_bounded_figure_judges_the_unrounded_numbers_and_only_with_a_ratio():
    judged = bounded_figure("m", "f", 3.04, 2.0, "ref", 1.5)
    assert (judged.value, judged.reference, judged.target, judged.met) == (
        3.0,
        2.0,
        "<= 1.5x ref",
        False,
    )
    unjudged = bounded_figure("m", "f", 1.234, 1.0, "ref", None, digits=2)
    assert (unjudged.value, unjudged.unit, unjudged.target, unjudged.met) == (1.23, "ms", "", None)


def test_table_shows_measured_reference_ratio_target_and_verdict():
    figures = [
        Figure("1 fan-out", "p50", 120.0, "ms", 30.0, "bare", "<= 4x ref", met=True),
        Figure("5 capacity", "held", 5000, "conn", target=">= 5,000", met=False),
        Figure("3 cost", "units", 1.0, "RCU", 316.5, "Scan"),
    ]
    lines = table(figures).splitlines()
    header = ["metric", "figure", "measured", "reference", "ratio", "target", "met"]
    assert lines[0].split() == header
    assert "120 ms" in lines[2] and "30 ms (bare)" in lines[2] and "4.00x" in lines[2]
    assert lines[2].rstrip().endswith("yes")
    assert "5,000 conn" in lines[3] and lines[3].rstrip().endswith("NO")
    assert "0.0032x" in lines[4]


def test_outcome_survives_its_json_round_trip():
    outcome = Outcome(
        "cold_start",
        [Figure("4 cold start", "import x", 150.0, "ms", 100.0, "boto3", "<= 1.5x", True)],
        parameters={"runs": 3},
        notes=["n"],
    )
    again = Outcome.from_json(outcome.as_json())
    assert again.figures == outcome.figures
    assert again.as_json()["figures"][0]["ratio"] == 1.5
    assert again.parameters == {"runs": 3} and again.notes == ["n"]
