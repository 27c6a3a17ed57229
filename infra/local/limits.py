"""API Gateway's WebSocket quotas, emulated: sizes, timeouts and the new-connection rate."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from mediaday.settings import (
    API_GATEWAY_IDLE_TIMEOUT_SECONDS,
    API_GATEWAY_MAX_CONNECTION_SECONDS,
    API_GATEWAY_MAX_FRAME_BYTES,
    API_GATEWAY_MAX_MESSAGE_BYTES,
)

NEW_CONNECTIONS_PER_SECOND = 500
INTEGRATION_TIMEOUT_SECONDS = 29.0  # the most API Gateway waits for a route's integration
MAX_URL_CHARACTERS = 4096  # "Length, in characters, of the URL for a WebSocket API"


@dataclass(frozen=True)
class GatewayLimits:
    """Defaults are API Gateway's; tests shorten the timeouts."""

    max_message_bytes: int = API_GATEWAY_MAX_MESSAGE_BYTES
    max_frame_bytes: int = API_GATEWAY_MAX_FRAME_BYTES
    idle_timeout_seconds: float = API_GATEWAY_IDLE_TIMEOUT_SECONDS
    max_lifetime_seconds: float = API_GATEWAY_MAX_CONNECTION_SECONDS
    new_connections_per_second: float = NEW_CONNECTIONS_PER_SECOND
    integration_timeout_seconds: float = INTEGRATION_TIMEOUT_SECONDS
    max_url_characters: int = MAX_URL_CHARACTERS
    # How long a POST @connections waits for a client that does not read before its 429.
    send_timeout_seconds: float = 5.0

    @classmethod
    def from_env(cls, **overrides: float | None) -> GatewayLimits:
        """Defaults, then MEDIADAY_LOCAL_* variables, then explicit options (None: unset)."""
        values: dict[str, float] = {}
        for name, variable in (
            ("idle_timeout_seconds", "MEDIADAY_LOCAL_IDLE_TIMEOUT"),
            ("max_lifetime_seconds", "MEDIADAY_LOCAL_MAX_LIFETIME"),
            ("new_connections_per_second", "MEDIADAY_LOCAL_CONNECTIONS_PER_SECOND"),
        ):
            raw = os.environ.get(variable)
            if raw:
                values[name] = float(raw)
        values.update({name: value for name, value in overrides.items() if value is not None})
        for name, value in values.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        return cls(**values)  # type: ignore[arg-type]


class TokenBucket:
    """`rate` tokens a second, bursting up to `rate`: API Gateway's new-connection quota."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
