"""The coordination table's stream: a thin Lambda entry point around broadcast.fanout."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from broadcast.batch import InOrderStreamProcessor
from broadcast.fanout import BatchStats, RetryPolicy, SubscriberDirectory, open_fanout
from mediaday.factories import get_connection_store, get_poster
from mediaday.observability import logger, metrics, tracer
from mediaday.poster import Poster
from mediaday.settings import get_settings


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def on_stream(
    event: dict[str, Any],
    context: LambdaContext,
    *,
    directory: SubscriberDirectory | None = None,
    poster: Poster | None = None,
) -> PartialItemFailureResponse:
    """A batch of coordination changes: push each to its topics' subscribers, in order.

    `directory` and `poster` default to the cached connections store and Management API
    poster; tests pass fakes. Records that fail, and the ones after them, are reported in
    `batchItemFailures` so the stream retries from the first of them.
    """
    settings = get_settings()
    processor = InOrderStreamProcessor()  # per call: the local stack may call concurrently
    with open_fanout(
        directory=directory or get_connection_store(),
        poster=poster or get_poster(),
        max_workers=settings.broadcast_max_workers,
        retry=RetryPolicy(max_attempts=settings.broadcast_max_attempts),
    ) as fanout:

        def record_handler(record: DynamoDBRecord) -> None:
            fanout.broadcast_record(record.raw_event)

        response: PartialItemFailureResponse = {"batchItemFailures": []}
        if event.get("Records"):  # Powertools refuses an empty batch; nothing to deliver
            response = process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
    failed = len(response["batchItemFailures"])
    _publish(
        fanout.stats, failed=failed - processor.not_attempted, held_back=processor.not_attempted
    )
    return response


def _publish(stats: BatchStats, *, failed: int, held_back: int) -> None:
    count = MetricUnit.Count
    metrics.add_metric(name="Deliveries", unit=count, value=stats.deliveries)
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
        gone_removed=stats.gone_removed,
        retries=stats.retries,
    )
