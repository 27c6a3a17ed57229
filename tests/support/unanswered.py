"""A DynamoDB that does not answer or throttles, and the handlers' log lines as the stack
writes them.

`stop_answering` makes one operation of a real (moto-backed) client fail the way an
overloaded table does: botocore's own ReadTimeoutError from the HTTP layer, retried by the
SDK like the real one. `throttle` answers it as a table out of capacity does.
`HandlerLog` collects what the Powertools logger writes, formatted
as in serve.log, traceback included."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError

from mediaday.observability import logger


def stop_answering(client: Any, operation: str, service: str = "dynamodb") -> list[str]:
    """Every `operation` sent by `client` (of `service`, as botocore names its events)
    times out reading its answer; returns the list of attempts made (one entry per HTTP
    request the SDK sent)."""
    attempts: list[str] = []

    def time_out(request: Any, **_: Any) -> None:
        attempts.append(operation)
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.{service}.{operation}", time_out)
    return attempts


class _Body:
    """The raw HTTP body botocore reads an AWSResponse from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def throttle(client: Any, operation: str) -> list[str]:
    """Every `operation` sent by `client` is refused as DynamoDB refuses a table out of
    capacity (HTTP 400, ProvisionedThroughputExceededException), which the SDK retries;
    returns the list of attempts made."""
    attempts: list[str] = []
    body = json.dumps(
        {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "The level of configured provisioned throughput for the table was exceeded",
        }
    ).encode()

    def refuse(request: Any, **_: Any) -> AWSResponse:
        attempts.append(operation)
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "throttled"}
        return AWSResponse(request.url, 400, headers, _Body(body))  # type: ignore[arg-type]

    client.meta.events.register(f"before-send.dynamodb.{operation}", refuse)
    return attempts


class HandlerLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logger.registered_formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def entries(self, message: str) -> list[dict[str, Any]]:
        parsed = [json.loads(line) for line in self.lines]
        return [entry for entry in parsed if entry.get("message") == message]


@contextmanager
def handler_log() -> Iterator[HandlerLog]:
    target = logging.getLogger(logger.name)
    capture = HandlerLog()
    target.addHandler(capture)
    try:
        yield capture
    finally:
        target.removeHandler(capture)
