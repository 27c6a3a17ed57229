"""Smoke: a write reaches every subscribed client through the local stack, timed against
a bare websockets broadcast to as many clients."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_every_write_reaches_every_client_and_is_timed_against_the_reference(smoke):
    # When the fan-out benchmark runs at its smoke size
    outcome = smoke("fanout_latency")

    # Then p50 and p99 are reported for each size against the bare websockets server
    (size,) = outcome["parameters"]["sizes"]
    names = [figure["name"] for figure in outcome["figures"]]
    assert names == [f"write -> last of {size} clients, {p}" for p in ("p50", "p99")]
    for figure in outcome["figures"]:
        assert figure["reference_name"] == "bare websockets"
        assert figure["reference"] > 0
        assert figure["value"] > 0
    details = outcome["details"][str(size)]
    # every counted write reached all clients (the benchmark waits for each one)
    assert len(details["stack_ms"]["all"]) == outcome["parameters"]["writes"]
    assert len(details["reference_ms"]["all"]) == outcome["parameters"]["writes"]
    # the first client has it no later than the last, and after the producer's send
    assert 0 < details["stack_first_client_ms"]["p50"] <= details["stack_ms"]["p50"]
    assert details["frame_bytes"] > 100
    assert details["sequential_post_ms"]["poster_ms"] > 0
