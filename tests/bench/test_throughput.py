"""Smoke: the broadcaster's fan-out against the Scan-and-post-in-turn reference."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e]  # DynamoDB Local


def test_fanout_and_naive_reach_every_subscriber_and_only_the_naive_one_scans(smoke):
    # When the throughput benchmark runs at its smoke size
    outcome = smoke("throughput")

    # Then both strategies posted to every subscriber (the benchmark checks the endpoint)
    subscribers = outcome["parameters"]["subscribers"]
    fanout, naive = outcome["details"]["fanout"], outcome["details"]["naive"]
    assert fanout["posts"] == naive["posts"] == subscribers
    # and the fan-out queried topics while the reference scanned the table
    assert outcome["details"]["fanout_through_boto3"]["posts"] == subscribers
    assert set(fanout["dynamodb_requests_per_run"]) == {"Query"}
    assert set(naive["dynamodb_requests_per_run"]) == {"Scan"}
    cpu, figure = outcome["figures"]
    assert figure["value"] == fanout["deliveries_per_second"]
    assert figure["reference"] == naive["deliveries_per_second"]
    # and the CPU per delivery is set against a bare request's, measured in the same run
    assert (cpu["value"], cpu["reference"]) == (
        fanout["cpu_ms_per_delivery"],
        fanout["bare_request_cpu_ms"],
    )
    assert cpu["value"] > 0 and cpu["reference"] > 0
