"""Smoke: every subscriber gets every write through the local stack, each delivery timed
against the producer's ack."""

from __future__ import annotations

import pytest

from bench.e2e_latency import summary

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_every_subscriber_gets_every_write_and_each_delivery_is_a_sample(smoke):
    # When the per-subscriber latency benchmark runs at its smoke size
    outcome = smoke("e2e_latency")

    # Then p50 and p95 are reported for each size, against the producer's ack
    sizes, writes = outcome["parameters"]["clients"], outcome["parameters"]["writes"]
    names = [figure["name"] for figure in outcome["figures"]]
    assert names == [
        f"write -> each of {n} subscriber(s), {p}" for n in sizes for p in ("p50", "p95")
    ]
    for figure in outcome["figures"]:
        assert figure["reference_name"] == "producer ack p50"
        assert figure["reference"] > 0 and figure["value"] > 0
    for size in sizes:
        details = outcome["details"][str(size)]
        # one sample per write per subscriber, none lost
        assert details["not_received"] == 0
        assert details["ack"]["n"] == writes
        assert details["write_to_client"]["n"] == details["ack_to_client"]["n"] == writes * size
        # a delivery comes after the ack's write was sent: write -> client >= ack -> client
        assert details["write_to_client"]["p50_ms"] >= details["ack_to_client"]["p50_ms"]


def test_the_summary_is_in_milliseconds_with_ranked_percentiles():
    figures = summary([0.001 * n for n in range(1, 101)])
    assert figures["n"] == 100
    assert figures["p50_ms"] == 50.5 and figures["max_ms"] == 100.0
    assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert summary([]) == {"n": 0}
