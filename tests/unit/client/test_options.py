"""The client's options: retry delays, the retry decision, renewal and heartbeat timing."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from client.errors import (
    ClientError,
    ConnectFailed,
    ForbiddenError,
    InvalidError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    ServerUnreachable,
    TokenRefused,
    UnauthorizedError,
)
from client.link import LinkLost, retry_transient
from client.options import ClientOptions


def test_backoff_is_full_jitter_within_a_capped_exponential_window():
    backoff = ClientOptions().backoff
    rng = random.Random(7)
    assert [backoff.window(n) for n in (1, 2, 3, 4, 5, 9)] == [5, 10, 20, 40, 60, 60]
    for attempt in range(1, 10):
        delays = [backoff.delay(attempt, rng.uniform) for _ in range(200)]
        assert all(0 <= d <= backoff.window(attempt) for d in delays)
        # full jitter: the whole window is used, not a narrow band near its top
        assert (
            min(delays)
            < 0.1 * backoff.window(attempt)
            < 0.9 * backoff.window(attempt)
            < max(delays)
        )


def test_fifty_kiosks_losing_the_link_together_do_not_reconnect_in_the_same_second():
    # Given fifty kiosks (each with its own random source) that lose Wi-Fi at the same time
    backoff = ClientOptions().backoff
    delays = [backoff.delay(1, random.Random(seed).uniform) for seed in range(50)]
    # Then their first reconnects spread over several seconds ...
    per_second = Counter(int(delay) for delay in delays)
    assert max(delays) - min(delays) > 3.5
    assert len(per_second) >= 4
    # ... and no single second takes more than a third of them
    assert max(per_second.values()) <= 50 // 3


def test_connections_renew_before_two_hours_at_spread_out_times():
    options = ClientOptions()
    renewals = [options.renewal_after(random.Random(seed)) for seed in range(50)]
    assert all(99 * 60 <= r <= 110 * 60 < 2 * 3600 for r in renewals)
    assert max(renewals) - min(renewals) > 5 * 60


def test_heartbeat_defaults_stay_well_under_the_idle_timeout():
    low, high = ClientOptions().heartbeat
    assert 60 <= low <= high <= 120 < 10 * 60


@pytest.mark.parametrize(
    "error",
    [
        ServerUnreachable("down"),
        LinkLost("dropped"),
        RequestTimeout("slow"),
        ServerError("busy", code="busy"),
        UnauthorizedError("forgotten"),
        RateLimitedError("slow down"),
    ],
)
def test_the_default_retry_decision_retries_what_the_next_connection_may_not_meet(
    error: ClientError,
):
    assert ClientOptions().process_exception is retry_transient
    assert retry_transient(error) is None


@pytest.mark.parametrize(
    "error",
    [
        TokenRefused("expired", 401),
        ConnectFailed("not a WebSocket URL"),
        ForbiddenError("not your station"),
        InvalidError("not a topic"),
    ],
)
def test_the_default_retry_decision_gives_up_on_a_refusal(error: ClientError):
    assert retry_transient(error) is error
