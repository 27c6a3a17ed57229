"""A DynamoDB that does not answer, and the handlers' log lines as the stack writes them.

`stop_answering` makes one operation of a real (moto-backed) client fail the way an
overloaded table does: botocore's own ReadTimeoutError from the HTTP layer, retried by the
SDK like the real one. `HandlerLog` collects what the Powertools logger writes, formatted
as in serve.log, traceback included."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ReadTimeoutError

from mediaday.observability import logger


def stop_answering(client: Any, operation: str) -> list[str]:
    """Every `operation` sent by `client` times out reading its answer; returns the list of
    attempts made (one entry per HTTP request the SDK sent)."""
    attempts: list[str] = []

    def time_out(request: Any, **_: Any) -> None:
        attempts.append(operation)
        raise ReadTimeoutError(endpoint_url=request.url)

    client.meta.events.register(f"before-send.dynamodb.{operation}", time_out)
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
