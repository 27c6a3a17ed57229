"""How long to wait for an answer, and how many retries a client may spend.

Two rules from the AWS Builders' Library ("Timeouts, retries, and backoff with jitter")
and the AWS SDKs' standard retry mode:

- A timeout follows what the link actually does: a high percentile of the round trips
  seen lately, times a margin, bounded below (a fast link must not time out on a GC
  pause) and above (the caller's own deadline). A busy server stretches the timeout
  instead of being taken for a dead one.
- Retries draw from a token bucket (the SDKs' retry quota): each retry costs tokens, a
  timeout costs more, a retry that worked gets its tokens back and an answer on the
  first try earns one. When the server is in
  trouble the bucket empties, and the client stops multiplying its load instead of
  retrying every request (Bronson et al.: retries are what keep a metastable failure up).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class TimeoutPolicy:
    """An attempt's timeout: `percentile` of the last `window` round trips times `margin`,
    within [`floor`, the caller's deadline]."""

    floor: float = 2.0
    margin: float = 3.0
    percentile: float = 0.95
    window: int = 32


class RoundTrips:
    """The recent answer times of one client, and the attempt timeout they imply."""

    def __init__(self, policy: TimeoutPolicy) -> None:
        self._policy = policy
        self._samples: deque[float] = deque(maxlen=policy.window)

    def observe(self, seconds: float) -> None:
        if seconds >= 0:
            self._samples.append(seconds)

    def high(self) -> float | None:
        """The policy's percentile of the samples (None before the first)."""
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        return ordered[min(len(ordered) - 1, int(self._policy.percentile * len(ordered)))]

    def timeout(self, ceiling: float) -> float:
        """The attempt timeout: never under the floor, never past `ceiling`."""
        high = self.high()
        wanted = self._policy.floor if high is None else high * self._policy.margin
        return max(min(self._policy.floor, ceiling), min(ceiling, wanted))


@dataclass(frozen=True)
class RetryQuota:
    """The SDKs' standard-mode numbers, scaled to one client: a full bucket allows
    `capacity / timeout_cost` timeout retries in a row."""

    capacity: int = 50
    retry_cost: int = 5
    timeout_cost: int = 10
    success_refund: int = 1
    # however full the bucket, one request is resent at most this many times
    max_resends: int = 3


class RetryBudget:
    """The client's retry tokens (thread-safe; the client runs on one loop anyway)."""

    def __init__(self, quota: RetryQuota) -> None:
        self.quota = quota
        self._tokens = quota.capacity
        self._lock = threading.Lock()
        self.spent = 0  # retries granted
        self.refused = 0  # retries the empty bucket refused

    @property
    def tokens(self) -> int:
        return self._tokens

    def take(self, *, timeout: bool) -> int:
        """Spend the price of one retry (a timeout's is higher) and return it; 0 when the
        bucket cannot pay it: then do not retry, wait or fail instead."""
        cost = self.quota.timeout_cost if timeout else self.quota.retry_cost
        with self._lock:
            if self._tokens < cost:
                self.refused += 1
                return 0
            self._tokens -= cost
            self.spent += 1
            return cost

    def answered(self, spent: int) -> None:
        """An answer came: a retried request gets the `spent` tokens back (its retries
        worked); a first-try answer earns `success_refund`."""
        with self._lock:
            gain = spent if spent else self.quota.success_refund
            self._tokens = min(self.quota.capacity, self._tokens + gain)
