"""How a client connects, waits and retries: one frozen value, defaults sized for API Gateway.

The retry decision and the delays are injected the way websockets' `connect()` takes
`process_exception`: `process_exception(error)` returns None to retry or the error to give
up with, and `backoff` says how long to wait before retry n.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from client.errors import ClientError
from client.link import retry_transient
from mediaday.backoff import Backoff

ProcessException = Callable[[ClientError], ClientError | None]

# Even the first retry after a drop is jittered over `base` seconds: when the venue's Wi-Fi
# comes back, fifty kiosks reconnect spread over seconds instead of at once.
DEFAULT_BACKOFF = Backoff(base=5.0, cap=60.0)


@dataclass(frozen=True)
class ClientOptions:
    backoff: Backoff = DEFAULT_BACKOFF
    # None: retry the connection; an error: give up with it (default: retry_transient)
    process_exception: ProcessException = retry_transient
    # seconds between heartbeats, drawn uniformly from this range (idle timeout: 10 min)
    heartbeat: tuple[float, float] = (60.0, 120.0)
    pong_timeout: float = 15.0
    # API Gateway closes a connection after 2 h: renew after at most this long ...
    max_lifetime: float = 110 * 60.0
    # ... minus up to this fraction, so connections opened together do not renew together
    lifetime_jitter: float = 0.1
    request_timeout: float = 15.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    periodic_sync: bool = True
    # False: the first connection attempt raises instead of retrying (CLI commands)
    retry_initial: bool = True
    max_message_bytes: int = 1 << 20

    def renewal_after(self, rng: random.Random) -> float:
        return self.max_lifetime * (1.0 - rng.uniform(0.0, self.lifetime_jitter))
