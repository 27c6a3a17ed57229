"""Timeouts from observed round trips, and the retry budget (the SDKs' retry quota)."""

from __future__ import annotations

from client.pacing import RetryBudget, RetryQuota, RoundTrips, TimeoutPolicy


def test_the_timeout_is_the_floor_until_round_trips_are_seen():
    trips = RoundTrips(TimeoutPolicy(floor=2.0, margin=3.0))
    assert trips.timeout(15.0) == 2.0


def test_the_timeout_follows_a_high_percentile_of_round_trips_times_the_margin():
    trips = RoundTrips(TimeoutPolicy(floor=0.5, margin=3.0, percentile=0.9, window=10))
    for seconds in (0.1,) * 9 + (2.0,):
        trips.observe(seconds)
    assert trips.timeout(15.0) == 6.0  # the 90th percentile is the slow one: 2 s x 3


def test_the_timeout_is_bounded_by_the_callers_deadline_and_the_floor():
    trips = RoundTrips(TimeoutPolicy(floor=1.0, margin=3.0))
    trips.observe(10.0)
    assert trips.timeout(15.0) == 15.0
    fast = RoundTrips(TimeoutPolicy(floor=1.0, margin=3.0))
    fast.observe(0.01)
    assert fast.timeout(15.0) == 1.0
    assert fast.timeout(0.5) == 0.5  # never past the deadline, not even for the floor


def test_old_round_trips_leave_the_window():
    trips = RoundTrips(TimeoutPolicy(floor=0.1, margin=1.0, window=4))
    trips.observe(9.0)
    for _ in range(4):
        trips.observe(0.2)
    assert trips.timeout(15.0) == 0.2


def test_timeouts_cost_more_than_other_retries_and_an_empty_bucket_refuses():
    budget = RetryBudget(RetryQuota(capacity=20, retry_cost=5, timeout_cost=10))
    assert budget.take(timeout=True) == 10
    assert budget.take(timeout=False) == 5
    assert budget.take(timeout=True) == 0  # 5 left: not enough for a timeout retry
    assert budget.take(timeout=False) == 5
    assert budget.take(timeout=False) == 0
    assert (budget.spent, budget.refused, budget.tokens) == (3, 2, 0)


def test_answers_refill_the_bucket_up_to_its_capacity():
    budget = RetryBudget(RetryQuota(capacity=20, timeout_cost=10, success_refund=1))
    budget.take(timeout=True)
    budget.answered(10)  # a retried request that got its answer: its tokens come back
    assert budget.tokens == 20
    budget.take(timeout=True)
    budget.answered(0)  # a first-try answer earns one
    assert budget.tokens == 11
    for _ in range(50):
        budget.answered(0)
    assert budget.tokens == 20
