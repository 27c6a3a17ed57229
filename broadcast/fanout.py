"""Fan-out of coordination changes to the connections subscribed to them.

One `Fanout` serves one stream batch. For each record, in order:
1. map it to a `Change` (broadcast.records) or skip it;
2. find the subscribers of each of its topics: one paginated Query per (media day, topic),
   cached for the rest of the batch, never a Scan; expired subscriptions are skipped;
3. post one `event` frame per (topic, subscriber) through a bounded thread pool and one
   shared Management API client, and wait for every post before the next record, so each
   connection sees the batch's changes in stream order.

A connection subscribed to two topics of one change gets two frames (their `topic`
differs and clients keep one mirror per topic); clients ignore versions they already hold.

Post outcomes:
- 410 Gone: the connection and its subscriptions are removed (once per batch), it is left
  out of the rest of the batch, and the record goes on;
- 429 / 5xx / unreachable: retried with capped, fully jittered exponential backoff; when
  the attempts run out the record fails (`RecordNotDelivered`) and the stream retries it;
- refused (403: check IAM): the record fails with an error log that says why; a retry
  after the operator's fix delivers it.
A record fails only after all of its posts have finished, so a retry re-sends to some
connections that already received it: at-least-once, duplicates are harmless.

Records no retry can deliver (a corrupt image, an event frame over API Gateway's 128 KB)
are logged as errors, counted, and skipped: failing them would block every later change of
the shard until the record expires. Item fields are bounded, so no valid item comes near.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from broadcast.records import Change, change_of
from mediaday.backoff import Backoff, Uniform
from mediaday.errors import (
    ConnectionGone,
    DeliveryError,
    DeliveryRefused,
    DeliveryThrottled,
    RecordNotDelivered,
    UndeliverableRecord,
)
from mediaday.observability import logger
from mediaday.poster import Poster
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES


class SubscriberDirectory(Protocol):
    """Who listens to a topic, and forgetting connections that are gone
    (mediaday.connections.ConnectionStore in production)."""

    def subscribers(
        self, media_day: str, topic: str, *, now: float | None = None
    ) -> Iterable[str]: ...

    def remove(self, connection_id: str) -> int: ...


# 50 ms doubling up to 1 s, fully jittered: a retried batch stays well inside the Lambda
# timeout while the pool's retries spread apart instead of hitting API Gateway together.
POST_BACKOFF = Backoff(base=0.05, cap=1.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a throttled or failing post is tried, and how long to wait in between."""

    max_attempts: int = 5
    backoff: Backoff = POST_BACKOFF

    def delay(self, retry: int, uniform: Uniform) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry)."""
        return self.backoff.delay(retry, uniform)


@dataclass(frozen=True)
class RecordDelivery:
    """What broadcasting one record did."""

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
    durations_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Posted:
    connection_id: str
    outcome: Literal["delivered", "gone", "failed"]
    retries: int
    removed: bool = False
    error: DeliveryError | None = None


class Fanout:
    """Broadcasts the records of one stream batch (see the module docstring)."""

    def __init__(
        self,
        *,
        directory: SubscriberDirectory,
        poster: Poster,
        executor: Executor,
        retry: RetryPolicy,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        uniform: Uniform = random.uniform,
    ) -> None:
        self._directory = directory
        self._poster = poster
        self._executor = executor
        self._retry = retry
        self._sleep = sleep
        self._clock = clock
        self._uniform = uniform
        self._subscribers: dict[tuple[str, str], tuple[str, ...]] = {}
        self._gone: set[str] = set()
        self._gone_lock = threading.Lock()
        self.stats = BatchStats()

    # -- entry points --------------------------------------------------------------------
    def broadcast_record(self, record: Mapping[str, Any]) -> RecordDelivery | None:
        """Broadcast one Lambda-shaped stream record; None when it was skipped.

        Raises RecordNotDelivered (or a store error) when the record must be retried."""
        sequence_number = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            change = change_of(record)
            if change is None:
                self.stats.skipped += 1
                logger.debug("stream record skipped", sequence_number=sequence_number)
                return None
            return self.deliver(change)
        except UndeliverableRecord as error:
            self.stats.undeliverable += 1
            logger.error(
                "stream record cannot be delivered; skipped",
                sequence_number=sequence_number,
                event_name=record.get("eventName"),
                reason=error.message,
            )
            return None

    def deliver(self, change: Change) -> RecordDelivery:
        """Post the change to every subscriber of its topics and wait for every post."""
        started = time.perf_counter()
        server_time = int(self._clock() * 1000)
        topics = tuple(sorted(change.topics))
        jobs = list(self._jobs(change, topics, server_time))
        futures = [
            self._executor.submit(self._post, connection_id, data) for connection_id, data in jobs
        ]
        wait(futures)
        results = [future.result() for future in futures]  # re-raises unexpected errors

        delivered = sum(1 for r in results if r.outcome == "delivered")
        gone = sum(1 for r in results if r.removed)
        retries = sum(r.retries for r in results)
        self.stats.deliveries += delivered
        self.stats.gone_removed += gone
        self.stats.retries += retries
        duration_ms = (time.perf_counter() - started) * 1000

        failures = [r for r in results if r.outcome == "failed"]
        if failures:
            raise _not_delivered(change, failures, len(results))
        self.stats.broadcast += 1
        self.stats.durations_ms.append(duration_ms)
        logger.info(
            "change broadcast",
            sequence_number=change.sequence_number,
            item_type=change.item.type,
            item_id=change.item.id,
            change=change.kind,
            version=change.item.version,
            rev=change.item.rev,
            topics=list(topics),
            delivered=delivered,
            gone=gone,
            retries=retries,
            duration_ms=round(duration_ms, 1),
        )
        return RecordDelivery(change.sequence_number, topics, delivered, gone, retries, duration_ms)

    # -- steps ---------------------------------------------------------------------------
    def _jobs(
        self, change: Change, topics: tuple[str, ...], server_time: int
    ) -> Iterator[tuple[str, bytes]]:
        for topic in topics:
            data = change.frame(topic, server_time).encode()
            if len(data) > API_GATEWAY_MAX_MESSAGE_BYTES:
                raise UndeliverableRecord(
                    f"the event for {change.item.type} {change.item.id} takes {len(data)} "
                    f"bytes, over API Gateway's {API_GATEWAY_MAX_MESSAGE_BYTES}-byte limit"
                )
            for connection_id in self._subscribers_of(change.media_day, topic):
                if connection_id not in self._gone:
                    yield connection_id, data

    def _subscribers_of(self, media_day: str, topic: str) -> tuple[str, ...]:
        key = (media_day, topic)
        if key not in self._subscribers:
            self._subscribers[key] = tuple(
                self._directory.subscribers(media_day, topic, now=self._clock())
            )
        return self._subscribers[key]

    def _post(self, connection_id: str, data: bytes) -> _Posted:
        """Runs on a pool thread: one subscriber, retried while throttled."""
        attempts = self._retry.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                self._poster.post(connection_id, data)
            except ConnectionGone:
                return _Posted(connection_id, "gone", attempt - 1, self._forget(connection_id))
            except DeliveryThrottled as error:
                if attempt == attempts:
                    return _Posted(connection_id, "failed", attempt - 1, error=error)
                self._sleep(self._retry.delay(attempt, self._uniform))
            except DeliveryRefused as error:
                return _Posted(connection_id, "failed", attempt - 1, error=error)
            else:
                return _Posted(connection_id, "delivered", attempt - 1)
        raise AssertionError("unreachable: the last attempt returns")  # pragma: no cover

    def _forget(self, connection_id: str) -> bool:
        """Remove a gone connection once per batch; True if this call removed it."""
        with self._gone_lock:
            if connection_id in self._gone:
                return False
            self._gone.add(connection_id)
        try:
            self._directory.remove(connection_id)
        except Exception as error:  # any store failure: TTL removes it later; keep delivering
            logger.warning(
                "could not remove a gone connection", connection_id=connection_id, error=str(error)
            )
            return False
        logger.info("gone connection removed", connection_id=connection_id)
        return True


def _not_delivered(change: Change, failures: list[_Posted], total: int) -> RecordNotDelivered:
    refused = [f for f in failures if isinstance(f.error, DeliveryRefused)]
    first = (refused or failures)[0]
    reason = first.error.message if first.error is not None else "unknown"
    if refused:
        summary = f"the Management API refused {len(refused)} of {total} posts: {reason}"
    else:
        summary = f"{len(failures)} of {total} posts still throttled after retries: {reason}"
    return RecordNotDelivered(
        f"record {change.sequence_number} ({change.item.type} {change.item.id}) "
        f"not delivered: {summary}"
    )


@contextmanager
def open_fanout(
    *,
    directory: SubscriberDirectory,
    poster: Poster,
    max_workers: int,
    retry: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> Iterator[Fanout]:
    """A Fanout with its own bounded thread pool, shut down when the batch is done."""
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fanout") as pool:
        yield Fanout(
            directory=directory,
            poster=poster,
            executor=pool,
            retry=retry,
            sleep=sleep,
            clock=clock,
        )
