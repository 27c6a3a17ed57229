"""The coordination table's stream: a thin Lambda entry point around broadcast.fanout."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from broadcast.fanout import RetryPolicy, SubscriberDirectory, open_fanout
from broadcast.outcomes import BatchFailed, BatchStats, PartialItemFailureResponse
from mediaday.factories import get_connection_store, get_poster
from mediaday.observability import lambda_entry, logger, metrics
from mediaday.poster import Poster
from mediaday.presence import GoneAnnouncer
from mediaday.settings import get_settings


@lambda_entry()
def on_stream(
    event: dict[str, Any],
    context: LambdaContext,
    *,
    directory: SubscriberDirectory | None = None,
    poster: Poster | None = None,
) -> PartialItemFailureResponse:
    """A batch of coordination changes: each subscriber gets what concerns it, in rev order.

    `directory` and `poster` default to the cached connections store and Management API
    poster; tests pass fakes. When some change did not reach every subscriber, it and the
    records after it are reported in `batchItemFailures`, so the stream retries from there.
    """
    settings = get_settings()
    records: list[dict[str, Any]] = list(event.get("Records") or [])
    poster = poster or get_poster()
    with open_fanout(
        # a connection found gone (410) is announced on the devices topic as it is removed
        directory=directory or GoneAnnouncer(get_connection_store(), poster, clock_ms=_now_ms),
        poster=poster,
        max_workers=settings.broadcast_max_workers,
        retry=RetryPolicy(max_attempts=settings.broadcast_max_attempts),
    ) as fanout:
        delivery = fanout.broadcast_batch(records)
    retried = records[delivery.retry_from :] if delivery.retry_from is not None else []
    identifiers = [str((r.get("dynamodb") or {}).get("SequenceNumber") or "") for r in retried]
    if not all(identifiers):  # Lambda would read an empty identifier as "all succeeded"
        raise BatchFailed("a failed stream record has no SequenceNumber; failing the whole batch")
    _publish(fanout.stats, failed=min(1, len(retried)), held_back=max(0, len(retried) - 1))
    return {"batchItemFailures": [{"itemIdentifier": i} for i in identifiers]}


def _now_ms() -> int:
    return int(time.time() * 1000)


def _publish(stats: BatchStats, *, failed: int, held_back: int) -> None:
    count = MetricUnit.Count
    metrics.add_metric(name="Deliveries", unit=count, value=stats.deliveries)
    metrics.add_metric(name="ChangesDelivered", unit=count, value=stats.changes_delivered)
    metrics.add_metric(name="GoneConnectionsRemoved", unit=count, value=stats.gone_removed)
    metrics.add_metric(name="DeliveryRetries", unit=count, value=stats.retries)
    metrics.add_metric(name="FailedRecords", unit=count, value=failed)
    metrics.add_metric(name="HeldBackRecords", unit=count, value=held_back)
    metrics.add_metric(name="UndeliverableRecords", unit=count, value=stats.undeliverable)
    metrics.add_metric(name="SkippedRecords", unit=count, value=stats.skipped)
    for duration in stats.durations_ms:
        metrics.add_metric(name="FanoutDuration", unit=MetricUnit.Milliseconds, value=duration)
    logger.info(
        "batch done",
        broadcast=stats.broadcast,
        skipped=stats.skipped,
        undeliverable=stats.undeliverable,
        failed=failed,
        held_back=held_back,
        deliveries=stats.deliveries,
        changes_delivered=stats.changes_delivered,
        gone_removed=stats.gone_removed,
        retries=stats.retries,
    )
