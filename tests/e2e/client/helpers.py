"""What the client's e2e tests share: client options scaled down to test time."""

from __future__ import annotations

from client.connection import Backoff, ClientOptions

# Retries within a second, a heartbeat every 0.3-0.5 s with a 1 s pong deadline: a dead link
# shows within 1.5 s instead of API-Gateway-scale minutes.
OPTIONS = ClientOptions(
    backoff=Backoff(first=0.3, cap=1.0),
    heartbeat=(0.3, 0.5),
    pong_timeout=1.0,
    request_timeout=10.0,
    open_timeout=5.0,
    close_timeout=1.0,
    retry_initial=False,
)
