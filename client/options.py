"""How a client connects, waits and retries: one frozen value, defaults sized for API Gateway.

The retry decision and the delays are injected the way websockets' `connect()` takes
`process_exception`: `process_exception(error)` returns None to retry or the error to give
up with, and `backoff` says how long to wait before retry n. Every reconnect waits for
`backoff`, whatever dropped the link (a timeout included). A request unanswered on a live
link is resent on that link with the same id after `resend_backoff`, at most
`retry_quota.max_resends` times and only while the client's retry budget lasts; each
attempt waits what `timeouts` derives from the round trips seen (client/pacing.py).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from client.errors import ClientError
from client.link import retry_transient
from client.pacing import RetryQuota, TimeoutPolicy
from mediaday.backoff import Backoff

ProcessException = Callable[[ClientError], ClientError | None]

# Even the first retry after a drop is jittered over `base` seconds: when the venue's Wi-Fi
# comes back, fifty kiosks reconnect spread over seconds instead of at once.
DEFAULT_BACKOFF = Backoff(base=5.0, cap=60.0)
# Between resends of one request on a live link: the server is slow, give it room.
DEFAULT_RESEND_BACKOFF = Backoff(base=1.0, cap=8.0)
DEFAULT_TIMEOUTS = TimeoutPolicy()
DEFAULT_RETRY_QUOTA = RetryQuota()


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
    # the caller's deadline for an answer (RequestTimeout after it); each attempt within
    # it waits what `timeouts` derives from the observed round trips
    request_timeout: float = 15.0
    timeouts: TimeoutPolicy = DEFAULT_TIMEOUTS
    resend_backoff: Backoff = DEFAULT_RESEND_BACKOFF
    retry_quota: RetryQuota = DEFAULT_RETRY_QUOTA
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    periodic_sync: bool = True
    # False: the first connection attempt raises instead of retrying (CLI commands)
    retry_initial: bool = True
    max_message_bytes: int = 1 << 20
    # Mints or fetches a fresh token (client.access): with one, the connection is renewed
    # with a new token this many seconds before the current one expires; without one, an
    # expired token ends the client with AccessExpired.
    token_source: Callable[[], str] | None = None
    renew_before_expiry: float = 60.0

    def renewal_after(self, rng: random.Random) -> float:
        return self.max_lifetime * (1.0 - rng.uniform(0.0, self.lifetime_jitter))
