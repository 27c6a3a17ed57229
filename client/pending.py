"""One request waiting for its answer: what was sent, on which link, and what came back.

A subscribe's or sync's answer is an ack plus pages, collected here until complete.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from client.link import Link
from mediaday.protocol import Ack, Pong, SnapshotPage, SyncPage


@dataclass(frozen=True)
class Answered:
    """A caller's answer and how often its request went out (resends on one link and
    sends after reconnects included): a `duplicate` ack of a request sent more than once
    may acknowledge this caller's own earlier send."""

    ack: Ack
    sends: int


@dataclass(eq=False)
class Pending:
    payload: dict[str, Any]
    future: asyncio.Future[Ack | Pong]
    # internal requests (resume, heartbeat) belong to one link and fail when it drops;
    # callers' requests are resent on the next link with the same id
    bound: Link | None = None
    link: Link | None = None
    ack: Ack | None = None
    pages: dict[tuple[str, int], SnapshotPage | SyncPage] = field(default_factory=dict)
    retries: int = 0
    resends: int = 0  # sent again on the same live link (no answer, or `busy`)
    sends: int = 0  # every send, on any link
    # set when the server answered `busy`: resend after this many seconds
    busy_after: float | None = None
    refusal: Exception | None = None  # the `busy` error, raised if no retry is left
    patient: bool = False  # a resume's read: refusals and sheds are retried on its link
    sent_at: float = 0.0  # loop time of the latest send
    nudge: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def action(self) -> str:
        return str(self.payload["action"])

    @property
    def text(self) -> str:
        return json.dumps(self.payload, separators=(",", ":"))


def is_integration_failure(raw: str | bytes) -> bool:
    """API Gateway's `{"message": "Internal server error", ...}`: no `type`, no request id."""
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and "type" not in data and "message" in data
