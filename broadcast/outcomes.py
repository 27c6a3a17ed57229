"""What delivering a stream batch did: per post, per connection, per batch, and totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypedDict

from broadcast.coalesce import Outgoing
from mediaday.errors import DeliveryError, DeliveryRefused


class ItemFailure(TypedDict):
    itemIdentifier: str


class PartialItemFailureResponse(TypedDict):
    """What the stream handler returns: Lambda retries the batch from the first of these.
    (Powertools has this type, but importing it imports its batch and parser packages.)"""

    batchItemFailures: list[ItemFailure]


class BatchFailed(RuntimeError):
    """The batch cannot be reported record by record: Lambda retries all of it."""


@dataclass(frozen=True)
class RecordDelivery:
    """What broadcasting one record on its own did (`Fanout.broadcast_record`)."""

    sequence_number: str
    topics: tuple[str, ...]
    delivered: int
    gone: int
    retries: int
    duration_ms: float


@dataclass
class BatchStats:
    """Running totals for one batch: the handler turns them into metrics."""

    deliveries: int = 0
    gone_removed: int = 0
    retries: int = 0
    broadcast: int = 0
    skipped: int = 0
    undeliverable: int = 0
    changes_delivered: int = 0
    durations_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class BatchDelivery:
    """What broadcasting one batch did. `retry_from`: the index of the first record to
    report in `batchItemFailures` (it and every later one), None when all were done."""

    records: int
    changes: int
    connections: int
    posts: int
    delivered: int
    gone: int
    retries: int
    duration_ms: float
    retry_from: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Posted:
    connection_id: str
    outcome: Literal["delivered", "gone", "failed"]
    retries: int
    removed: bool = False
    error: DeliveryError | None = None


@dataclass(frozen=True)
class Sent:
    """One connection's messages: how many went out, and the first that did not."""

    connection_id: str
    delivered: int
    changes: int
    retries: int
    removed: bool
    failed: Outgoing | None = None
    error: DeliveryError | None = None


def failure_summary(failed: list[Sent], total: int) -> str:
    refused = [f for f in failed if isinstance(f.error, DeliveryRefused)]
    first = (refused or failed)[0]
    reason = first.error.message if first.error is not None else "unknown"
    if refused:
        return f"the Management API refused {len(refused)} of {total} posts: {reason}"
    return f"{len(failed)} of {total} posts still throttled after retries: {reason}"
