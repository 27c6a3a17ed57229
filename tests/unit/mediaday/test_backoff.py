"""The one backoff formula: full jitter over a window that doubles from `base` to `cap`."""

from __future__ import annotations

import random

import pytest

from mediaday.backoff import Backoff


def test_the_window_doubles_from_the_base_until_the_cap():
    backoff = Backoff(base=0.1, cap=2.0)
    assert [backoff.window(n) for n in range(1, 8)] == pytest.approx(
        [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    )


def test_the_factor_sets_the_growth_and_attempt_zero_waits_like_the_first():
    backoff = Backoff(base=1.0, cap=100.0, factor=3.0)
    assert [backoff.window(n) for n in range(0, 5)] == [1.0, 1.0, 3.0, 9.0, 27.0]


def test_the_cap_holds_for_very_late_attempts():
    backoff = Backoff(base=0.005, cap=0.2)
    assert backoff.window(60) == 0.2
    assert backoff.delay(60, lambda low, high: high) == 0.2


def test_the_delay_is_drawn_over_the_whole_window_from_zero():
    drawn: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        drawn.append((low, high))
        return (low + high) / 2

    backoff = Backoff(base=0.05, cap=1.0)
    assert [backoff.delay(n, uniform) for n in (1, 2, 3, 9)] == pytest.approx(
        [0.025, 0.05, 0.1, 0.5]
    )
    assert drawn == [(0.0, 0.05), (0.0, 0.1), (0.0, 0.2), (0.0, 1.0)]


def test_jittered_delays_stay_in_bounds_and_spread_over_the_window():
    backoff = Backoff(base=0.05, cap=1.0)
    rng = random.Random(13)
    for attempt in range(1, 10):
        window = backoff.window(attempt)
        delays = [backoff.delay(attempt, rng.uniform) for _ in range(400)]
        assert all(0.0 <= delay <= window for delay in delays)
        # full jitter, not "half" or none: the draws reach both ends of the window
        assert min(delays) < 0.1 * window
        assert max(delays) > 0.9 * window


def test_without_a_random_source_the_delay_is_still_jittered_within_the_window():
    backoff = Backoff(base=0.2, cap=0.2)
    delays = {backoff.delay(1) for _ in range(50)}
    assert all(0.0 <= delay <= 0.2 for delay in delays)
    assert len(delays) > 1
