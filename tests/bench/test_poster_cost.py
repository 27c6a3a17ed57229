"""Smoke: the poster's cost per post, measured against a bare POST of the same request."""

from __future__ import annotations


def test_every_strategy_posted_and_the_figures_are_the_posters_against_the_bare_post(smoke):
    # When the poster benchmark runs at its smoke size
    outcome = smoke("poster_cost")

    # Then each strategy made all its posts (the benchmark checks the endpoint's count too)
    costs = outcome["details"]["costs"]
    expected = outcome["parameters"]["posts"] * outcome["parameters"]["rounds"]
    assert {"bare", "one-send floor", "poster", "botocore", "boto3"} <= set(costs)
    assert {cost["posts"] for cost in costs.values()} == {expected}
    assert all(cost["wall_ms"] > 0 and cost["cpu_ms"] >= 0 for cost in costs.values())
    # and the figures compare the service's poster with the bare request of the same run
    wall, cpu = outcome["figures"]
    assert (wall["value"], wall["reference"]) == (
        costs["poster"]["wall_ms"],
        costs["bare"]["wall_ms"],
    )
    assert (cpu["value"], cpu["reference"]) == (costs["poster"]["cpu_ms"], costs["bare"]["cpu_ms"])
