"""One Logger, Metrics and Tracer per process, named after the service that runs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from mediaday.errors import StoreBusy

NAMESPACE = "MediaDayLive"

logger = Logger()
metrics = Metrics(namespace=NAMESPACE)
# Only botocore: every AWS call (DynamoDB, Secrets Manager, the Management API) goes through
# it, and patching the SDK's other supported libraries costs ~15 ms of each cold start.
tracer = Tracer(patch_modules=["botocore"])


def log_failure(message: str, error: BaseException, **keys: Any) -> None:
    """A best-effort step that failed (call it in the `except`): a busy or unanswering store
    is expected under load, so one WARNING line naming the error's class; anything else is
    a bug and keeps its traceback."""
    if isinstance(error, StoreBusy):
        logger.warning(message, error=type(error).__name__, stacklevel=3, **keys)
    else:
        logger.exception(message, stacklevel=3, **keys)
