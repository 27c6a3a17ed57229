"""API Gateway's quotas as the emulator applies them."""

from __future__ import annotations

import pytest

from infra.local.limits import GatewayLimits, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_bursts_to_its_rate_then_refills():
    clock = Clock()
    bucket = TokenBucket(500, clock=clock)
    assert sum(bucket.take() for _ in range(600)) == 500
    clock.now += 0.01  # 10 ms: five more
    assert sum(bucket.take() for _ in range(10)) == 5


def test_defaults_are_api_gateways():
    limits = GatewayLimits()
    assert (limits.max_message_bytes, limits.max_frame_bytes) == (128 * 1024, 32 * 1024)
    assert (limits.idle_timeout_seconds, limits.max_lifetime_seconds) == (600, 7200)
    assert limits.new_connections_per_second == 500


def test_environment_then_options_shorten_the_timeouts(monkeypatch):
    monkeypatch.setenv("MEDIADAY_LOCAL_IDLE_TIMEOUT", "5")
    monkeypatch.setenv("MEDIADAY_LOCAL_MAX_LIFETIME", "60")
    limits = GatewayLimits.from_env(idle_timeout_seconds=2, max_lifetime_seconds=None)
    assert (limits.idle_timeout_seconds, limits.max_lifetime_seconds) == (2, 60)


def test_a_non_positive_limit_is_refused(monkeypatch):
    monkeypatch.setenv("MEDIADAY_LOCAL_IDLE_TIMEOUT", "0")
    with pytest.raises(ValueError, match="idle_timeout_seconds"):
        GatewayLimits.from_env()
