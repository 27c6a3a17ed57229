"""Lambda's concurrency, emulated: a cap overall and per connection, shed past it."""

from __future__ import annotations

import pytest

from infra.local.concurrency import Concurrency, ConcurrencyLimits, InvocationThrottled


def test_invocations_past_the_overall_cap_are_throttled_until_one_ends():
    slots = Concurrency(ConcurrencyLimits(overall=2, per_connection=2))
    slots.acquire("a")
    slots.acquire("b")
    with pytest.raises(InvocationThrottled, match="function's concurrency"):
        slots.acquire("c")
    slots.release("a")
    slots.acquire("c")
    assert (slots.running, slots.peak, dict(slots.shed)) == (2, 2, {"overall": 1})


def test_one_connection_cannot_take_more_than_its_share():
    slots = Concurrency(ConcurrencyLimits(overall=10, per_connection=1))
    slots.acquire("a")
    with pytest.raises(InvocationThrottled, match="this connection"):
        slots.acquire("a")
    slots.acquire("b")  # another connection still gets a slot
    slots.acquire(None)  # and so does a $connect (no connection yet)
    assert dict(slots.shed) == {"per_connection": 1}
    assert slots.running == 3


def test_limits_come_from_the_environment_and_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("MEDIADAY_LOCAL_CONCURRENCY", "5")
    monkeypatch.setenv("MEDIADAY_LOCAL_CONCURRENCY_PER_CONNECTION", "2")
    assert ConcurrencyLimits.from_env() == ConcurrencyLimits(overall=5, per_connection=2)
    monkeypatch.setenv("MEDIADAY_LOCAL_CONCURRENCY", "0")
    with pytest.raises(ValueError, match="at least 1"):
        ConcurrencyLimits.from_env()
