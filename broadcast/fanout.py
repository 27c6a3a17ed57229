"""Fan-out of coordination changes to the connections subscribed to them.

One `Fanout` serves one stream batch, delivered as a whole (`broadcast_batch`):
1. map each record to a `Change` (broadcast.records) or skip it; order them by rev;
2. find the subscriptions of each topic: one paginated Query per (media day, topic),
   cached for the rest of the batch, never a Scan; expired subscriptions are skipped;
3. plan what each connection receives (broadcast.coalesce): a connection subscribed with
   `events="batched"` gets ONE `events` frame with every change that concerns it, in rev
   order, each change once with all its matching topics (split only under 128 KB); a v1
   subscription gets one `event` frame per (change, topic), as before;
4. post each connection's messages in order, connections concurrently through a bounded
   thread pool and one shared Management API poster.

Post outcomes:
- 410 Gone: the connection and its subscriptions are removed (once per batch) and the
  batch goes on;
- 429 / 5xx / unreachable: retried with capped, fully jittered exponential backoff; when
  the attempts run out that connection's later messages are not sent;
- refused (403: check IAM): the same, at once, with an error log that says why.
A connection's messages stop at its first failure, so what it received is a prefix of the
batch in rev order. The batch then asks for a retry from the earliest change any
connection missed (`BatchDelivery.retry_from`, a record index): every earlier change has
reached every subscriber. A retry re-sends some changes: at-least-once, duplicates are
harmless (clients apply by version).

Records no retry can deliver (a corrupt image, a change whose message would exceed API
Gateway's 128 KB) are logged as errors, counted, and skipped: failing them would block
every later change of the shard until the record expires. Item fields are bounded, so no
valid item comes near.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from broadcast.coalesce import Outgoing, largest_message, plan_batch
from broadcast.outcomes import (
    BatchDelivery,
    BatchStats,
    Posted,
    RecordDelivery,
    Sent,
    failure_summary,
)
from broadcast.records import Change, change_of
from mediaday.backoff import Backoff, Uniform
from mediaday.errors import (
    ConnectionGone,
    DeliveryRefused,
    DeliveryThrottled,
    RecordNotDelivered,
    UndeliverableRecord,
)
from mediaday.observability import logger
from mediaday.poster import Poster
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES


class SubscriberDirectory(Protocol):
    """Who listens to a topic (connection id, and whether it takes `events` frames), and
    forgetting connections that are gone (mediaday.connections.ConnectionStore)."""

    def subscriptions(
        self, media_day: str, topic: str, *, now: float | None = None
    ) -> Iterable[tuple[str, bool]]: ...

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
        self._subscriptions: dict[tuple[str, str], tuple[tuple[str, bool], ...]] = {}
        self._gone: set[str] = set()
        self._gone_lock = threading.Lock()
        self.stats = BatchStats()

    # -- entry points --------------------------------------------------------------------
    def broadcast_batch(self, records: Sequence[Mapping[str, Any]]) -> BatchDelivery:
        """Deliver a Lambda-shaped stream batch; never raises for a delivery failure, it
        names the first record to retry instead (see the module docstring)."""
        started = time.perf_counter()
        server_time = int(self._clock() * 1000)
        positioned: list[tuple[int, Change]] = []
        for position, record in enumerate(records):
            change = self._change_of(record, server_time)
            if change is not None:
                positioned.append((position, change))
        positioned.sort(key=lambda entry: (entry[1].item.rev, entry[0]))  # stream = rev order
        return self._deliver(positioned, len(records), server_time, started)

    def broadcast_record(self, record: Mapping[str, Any]) -> RecordDelivery | None:
        """Broadcast one record as a batch of its own; None when it was skipped.

        Raises RecordNotDelivered when it must be retried."""
        before = (self.stats.skipped, self.stats.undeliverable)
        delivery = self.broadcast_batch([record])
        if delivery.retry_from is not None:
            raise RecordNotDelivered(delivery.reason)
        if (self.stats.skipped, self.stats.undeliverable) != before:
            return None
        return self._as_record(record, delivery)

    def deliver(self, change: Change) -> RecordDelivery:
        """Post one change to every subscriber of its topics (a batch of one change)."""
        started = time.perf_counter()
        delivery = self._deliver([(0, change)], 1, int(self._clock() * 1000), started)
        if delivery.retry_from is not None:
            raise RecordNotDelivered(delivery.reason)
        record = {"dynamodb": {"SequenceNumber": change.sequence_number}}
        return self._as_record(record, delivery, change)

    # -- steps ---------------------------------------------------------------------------
    def _deliver(
        self, positioned: list[tuple[int, Change]], records: int, server_time: int, started: float
    ) -> BatchDelivery:
        """Plan and post the changes (record position, change), in rev order."""
        retry_from, reason = self._look_up(positioned)
        if retry_from is not None:
            positioned = [entry for entry in positioned if entry[0] < retry_from]
        changes = [change for _, change in positioned]
        plans = plan_batch(changes, self._subscribed, server_time, skip=self._gone.__contains__)
        futures = [
            self._executor.submit(self._send_all, connection_id, messages)
            for connection_id, messages in plans.items()
        ]
        wait(futures)
        sent = [future.result() for future in futures]  # re-raises unexpected errors

        failed = [s for s in sent if s.failed is not None]
        if failed:
            earliest = min(s.failed.first for s in failed if s.failed is not None)
            missed = min(positioned[i][0] for i in range(earliest, len(positioned)))
            if retry_from is None or missed < retry_from:
                retry_from, reason = missed, failure_summary(failed, len(sent))
        delivery = BatchDelivery(
            records=records,
            changes=len(changes),
            connections=len(plans),
            posts=sum(len(messages) for messages in plans.values()),
            delivered=sum(s.delivered for s in sent),
            gone=sum(1 for s in sent if s.removed),
            retries=sum(s.retries for s in sent),
            duration_ms=(time.perf_counter() - started) * 1000,
            retry_from=retry_from,
            reason=reason,
        )
        self._count(delivery, sent, positioned)
        return delivery

    def _change_of(self, record: Mapping[str, Any], server_time: int) -> Change | None:
        sequence_number = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        try:
            change = change_of(record)
            if change is None:
                self.stats.skipped += 1
                logger.debug("stream record skipped", sequence_number=sequence_number)
                return None
            size = largest_message(change, server_time)
            if size > API_GATEWAY_MAX_MESSAGE_BYTES:
                raise UndeliverableRecord(
                    f"the event for {change.item.type} {change.item.id} takes {size} "
                    f"bytes, over API Gateway's {API_GATEWAY_MAX_MESSAGE_BYTES}-byte limit"
                )
        except UndeliverableRecord as error:
            self.stats.undeliverable += 1
            logger.error(
                "stream record cannot be delivered; skipped",
                sequence_number=sequence_number,
                event_name=record.get("eventName"),
                reason=error.message,
            )
            return None
        return change

    def _look_up(self, positioned: list[tuple[int, Change]]) -> tuple[int | None, str]:
        """Query every topic's subscriptions, change by change; a lookup that fails holds
        back that change's record and every later one (returned as `retry_from`)."""
        for position, change in positioned:
            for topic in sorted(change.topics):
                try:
                    self._subscribed(change.media_day, topic)
                except Exception as error:  # any store failure: the stream retries it
                    logger.error(
                        "subscriber lookup failed; the batch is retried from this record",
                        sequence_number=change.sequence_number,
                        topic=topic,
                        reason=str(error),
                    )
                    return position, f"subscriber lookup for {topic} failed: {error}"
        return None, ""

    def _subscribed(self, media_day: str, topic: str) -> tuple[tuple[str, bool], ...]:
        key = (media_day, topic)
        if key not in self._subscriptions:
            self._subscriptions[key] = tuple(
                self._directory.subscriptions(media_day, topic, now=self._clock())
            )
        return self._subscriptions[key]

    def _send_all(self, connection_id: str, messages: list[Outgoing]) -> Sent:
        """Runs on a pool thread: one connection's messages in order, stopping at the first
        that cannot be delivered (so it holds a prefix of the batch). A refused frame of
        several changes is re-sent change by change, so the failure names the change that
        is refused and the ones before it still arrive."""
        delivered = changes = retries = 0
        queue = list(reversed(messages))
        while queue:
            message = queue.pop()
            posted = self._post(connection_id, message.data)
            retries += posted.retries
            if posted.outcome == "gone":
                return Sent(connection_id, delivered, changes, retries, posted.removed)
            if posted.outcome == "failed":
                if isinstance(posted.error, DeliveryRefused) and message.changes > 1:
                    queue.extend(reversed(message.one_by_one()))
                    continue
                return Sent(
                    connection_id, delivered, changes, retries, False, message, posted.error
                )
            delivered += 1
            changes += message.changes
        return Sent(connection_id, delivered, changes, retries, False)

    def _post(self, connection_id: str, data: bytes) -> Posted:
        """Runs on a pool thread: one subscriber, retried while throttled."""
        attempts = self._retry.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                self._poster.post(connection_id, data)
            except ConnectionGone:
                return Posted(connection_id, "gone", attempt - 1, self._forget(connection_id))
            except DeliveryThrottled as error:
                if attempt == attempts:
                    return Posted(connection_id, "failed", attempt - 1, error=error)
                self._sleep(self._retry.delay(attempt, self._uniform))
            except DeliveryRefused as error:
                return Posted(connection_id, "failed", attempt - 1, error=error)
            else:
                return Posted(connection_id, "delivered", attempt - 1)
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

    def _count(
        self, delivery: BatchDelivery, sent: list[Sent], positioned: list[tuple[int, Change]]
    ) -> None:
        self.stats.deliveries += delivery.delivered
        self.stats.changes_delivered += sum(s.changes for s in sent)
        self.stats.gone_removed += delivery.gone
        self.stats.retries += delivery.retries
        if delivery.retry_from is None:
            self.stats.broadcast += len(positioned)
        else:
            self.stats.broadcast += sum(1 for p, _ in positioned if p < delivery.retry_from)
        if positioned:
            self.stats.durations_ms.append(delivery.duration_ms)
        log = logger.info if delivery.retry_from is None else logger.error
        log(
            "batch broadcast" if delivery.retry_from is None else "batch partly delivered",
            records=delivery.records,
            changes=delivery.changes,
            revs=[change.item.rev for _, change in positioned[:1] + positioned[-1:]],
            connections=delivery.connections,
            posts=delivery.posts,
            delivered=delivery.delivered,
            gone=delivery.gone,
            retries=delivery.retries,
            retry_from=delivery.retry_from,
            reason=delivery.reason or None,
            duration_ms=round(delivery.duration_ms, 1),
        )

    @staticmethod
    def _as_record(
        record: Mapping[str, Any], delivery: BatchDelivery, change: Change | None = None
    ) -> RecordDelivery:
        change = change or change_of(record)
        topics = tuple(sorted(change.topics)) if change is not None else ()
        sequence_number = str((record.get("dynamodb") or {}).get("SequenceNumber", ""))
        return RecordDelivery(
            sequence_number,
            topics,
            delivery.delivered,
            delivery.gone,
            delivery.retries,
            delivery.duration_ms,
        )


@contextmanager
def open_fanout(
    *,
    directory: SubscriberDirectory,
    poster: Poster,
    max_workers: int,
    retry: RetryPolicy,
) -> Iterator[Fanout]:
    """A Fanout with its own bounded thread pool, shut down when the batch is done (the
    real clock and sleep: tests that need others build a Fanout on their own executor)."""
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="fanout") as pool:
        yield Fanout(directory=directory, poster=poster, executor=pool, retry=retry)
