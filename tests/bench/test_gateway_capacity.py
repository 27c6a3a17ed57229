"""Smoke: the emulator holds connections, each recorded by $connect, and answers pings."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_connections_are_held_recorded_and_live_with_memory_and_rate_measured(smoke):
    # When the capacity benchmark runs at its smoke size
    outcome = smoke("gateway_capacity")

    # Then every connection is held, recorded by $connect and the sample answers pings
    wanted = outcome["parameters"]["connections"]
    emulator, reference = outcome["details"]["emulator"], outcome["details"]["reference"]
    assert emulator["opened"] == emulator["open_after_hold"] == wanted
    assert emulator["recorded_by_connect"] == wanted
    assert emulator["pinged"] > 0
    assert reference["open_after_hold"] == wanted
    figures = {figure["name"]: figure for figure in outcome["figures"]}
    assert figures["connections held"]["met"] is True
    assert figures["new connections/s through $connect"]["value"] > 0
    assert figures["new connections/s through $connect"]["reference_name"] == "bare aiohttp"
