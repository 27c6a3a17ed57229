"""Lambda's concurrency, emulated: how many handler invocations may run at once.

A Lambda function runs at most its concurrency limit of invocations at a time, and a
synchronous invocation past it is throttled at once (`TooManyRequestsException`), never
queued. API Gateway then answers the WebSocket caller with its integration-failure frame,
`{"message": "Internal server error", "connectionId": ..., "requestId": ...}`, which names
no request id, and a `$connect` past the cap fails the handshake as a failing `$connect`
does (502). AWS documents neither answer for a throttled Lambda integration; these are
what API Gateway sends for a failed integration, the stricter of the readings (the client
must treat an unmatched answer as no answer).

The emulator caps invocations overall (the function's concurrency) and per connection (so
one client cannot hold every slot; AWS has no such cap, the local stack adds it to stay
responsive on one laptop). Without the cap a slow handler queues work in the thread pool
past every client's timeout, which is how a slow server stays slow. `$disconnect` is never
shed: the connection's clean-up must run, and it is rare.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass


class InvocationThrottled(RuntimeError):
    """The invocation was refused: the concurrency cap was reached (Lambda's 429)."""


@dataclass(frozen=True)
class ConcurrencyLimits:
    """Defaults suit the local stack's thread pool (64 workers)."""

    overall: int = 64
    per_connection: int = 8

    @classmethod
    def from_env(cls) -> ConcurrencyLimits:
        """MEDIADAY_LOCAL_CONCURRENCY and MEDIADAY_LOCAL_CONCURRENCY_PER_CONNECTION, if set."""
        values: dict[str, int] = {}
        for name, variable in (
            ("overall", "MEDIADAY_LOCAL_CONCURRENCY"),
            ("per_connection", "MEDIADAY_LOCAL_CONCURRENCY_PER_CONNECTION"),
        ):
            raw = os.environ.get(variable)
            if raw:
                values[name] = int(raw)
        limits = cls(**values)
        if limits.overall < 1 or limits.per_connection < 1:
            raise ValueError(f"concurrency limits must be at least 1, got {limits}")
        return limits


class Concurrency:
    """The invocations running now, and how many were shed (thread-safe)."""

    def __init__(self, limits: ConcurrencyLimits) -> None:
        self.limits = limits
        self._running = 0
        self._by_connection: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.shed: Counter[str] = Counter()  # "overall" / "per_connection" -> refusals
        self.peak = 0

    @property
    def running(self) -> int:
        return self._running

    def acquire(self, connection_id: str | None) -> None:
        """Take a slot (and one of the connection's, when given); InvocationThrottled if
        either cap is reached."""
        with self._lock:
            if self._running >= self.limits.overall:
                self.shed["overall"] += 1
                raise InvocationThrottled("the function's concurrency limit is reached")
            if connection_id is not None:
                if self._by_connection[connection_id] >= self.limits.per_connection:
                    self.shed["per_connection"] += 1
                    raise InvocationThrottled("this connection's concurrency limit is reached")
                self._by_connection[connection_id] += 1
            self._running += 1
            self.peak = max(self.peak, self._running)

    def release(self, connection_id: str | None) -> None:
        with self._lock:
            self._running -= 1
            if connection_id is not None:
                self._by_connection[connection_id] -= 1
                if self._by_connection[connection_id] <= 0:
                    del self._by_connection[connection_id]
