"""The client's options at test speed, defined once: every suite takes its own from here.

`FAST` is for the in-process fake server (tests/unit/client): retries in tens of
milliseconds, heartbeats only when a test asks. `STACK` is for a real local stack, whose
DynamoDB Local answers in tens to hundreds of milliseconds: opening and requests get
seconds, and the heartbeat runs, so a dead link shows within 1.5 s instead of
API-Gateway-scale minutes. `FLEET` is the reliability fleet's: the library's own reconnect,
heartbeat, periodic sync and renewal, scaled down so a test sees many of them in seconds.
"""

from __future__ import annotations

from dataclasses import replace

from client.options import ClientOptions
from mediaday.backoff import Backoff

FAST = ClientOptions(
    backoff=Backoff(base=0.05, cap=0.2),
    heartbeat=(60.0, 60.0),
    pong_timeout=0.5,
    request_timeout=2.0,
    open_timeout=2.0,
    close_timeout=0.5,
    retry_initial=False,
)


def fast(**changes: object) -> ClientOptions:
    """FAST with `changes` (ClientOptions' field names)."""
    return replace(FAST, **changes)  # type: ignore[arg-type]


STACK = fast(
    backoff=Backoff(base=0.3, cap=1.0),
    heartbeat=(0.3, 0.5),
    pong_timeout=1.0,
    request_timeout=10.0,
    open_timeout=5.0,
    close_timeout=1.0,
)

# Backoff 0.25-2 s (not 5-60 s), heartbeat every 1-2 s (not 60-120 s), a dead link noticed
# in 2 s (not 15 s); the first connection retries like every later one.
FLEET = replace(
    STACK,
    backoff=Backoff(base=0.25, cap=2.0),
    heartbeat=(1.0, 2.0),
    pong_timeout=2.0,
    retry_initial=True,
)
