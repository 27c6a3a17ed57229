"""A Powertools batch processor for DynamoDB stream batches that keeps the shard's order.

Powertools' BatchProcessor goes on after a failed record; for a stream that would deliver
later changes before an earlier one is retried. Lambda retries a stream from the lowest
sequence number reported in `batchItemFailures`, so this processor stops at the first
failure: that record and every later one are reported, and the later ones are not
delivered in this invocation (like Powertools' SqsFifoPartialProcessor).

It never raises when the whole batch fails (every record is reported instead, which Lambda
treats the same way) and never reports an empty identifier: a failed record without a
SequenceNumber fails the invocation, so Lambda retries the whole batch.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    ExceptionInfo,
    FailureResponse,
    SuccessResponse,
)
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.batch.types import PartialItemFailures

from mediaday.observability import logger


class NotAttempted(Exception):
    """A record after a failed one: held back so the retry keeps the shard's order."""


_NOT_ATTEMPTED: ExceptionInfo = (
    NotAttempted,
    NotAttempted("an earlier record of the batch failed; retried after it"),
    None,
)


class InOrderStreamProcessor(BatchProcessor):
    """DynamoDB stream records in order, stopping at the first failure."""

    def __init__(self) -> None:
        super().__init__(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

    @property
    def not_attempted(self) -> int:
        """Records of the last batch held back behind a failed one."""
        return sum(1 for _, error, _ in self.exceptions if isinstance(error, NotAttempted))

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        if self.fail_messages:
            data = self._to_batch_type(record=record, event_type=self.event_type)
            return self.failure_handler(record=data, exception=_NOT_ATTEMPTED)
        return super()._process_record(record)

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        error = exception[1]
        if not isinstance(error, NotAttempted):
            dynamodb = getattr(record, "dynamodb", None)
            logger.error(
                "stream record failed; it and the rest of the batch will be retried",
                sequence_number=getattr(dynamodb, "sequence_number", None),
                event_name=getattr(getattr(record, "event_name", None), "value", None),
                error_code=getattr(error, "code", type(error).__name__),
                reason=str(error),
            )
        return super().failure_handler(record, exception)

    def _collect_dynamodb_failures(self) -> list[PartialItemFailures]:
        failures: list[PartialItemFailures] = []
        for record in self.fail_messages:
            stream = getattr(record, "dynamodb", None)
            sequence_number = getattr(stream, "sequence_number", None)
            if not sequence_number:
                raise BatchProcessingError(
                    msg="a failed stream record has no SequenceNumber; failing the whole batch",
                    child_exceptions=self.exceptions,
                )
            failures.append({"itemIdentifier": str(sequence_number)})
        return failures
