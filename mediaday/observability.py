"""One Logger, Metrics and Tracer per process, named after the service that runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics, Tracer

from mediaday.errors import StoreBusy

NAMESPACE = "MediaDayLive"

logger = Logger()
metrics = Metrics(namespace=NAMESPACE)
# Only botocore: every AWS call (DynamoDB, Secrets Manager, the Management API) goes through
# it, and patching the SDK's other supported libraries costs ~15 ms of each cold start.
tracer = Tracer(patch_modules=["botocore"])

Handler = TypeVar("Handler", bound=Callable[..., Any])
CONNECTION_ID_PATH = "requestContext.connectionId"


def lambda_entry(
    *, correlation_id_path: str | None = None, traced: bool = True
) -> Callable[[Handler], Handler]:
    """How every Lambda entry point is instrumented, in one place: the invocation's context
    (and `correlation_id_path`, e.g. the connection id) on each log line, metrics flushed
    once per invocation, and an X-Ray segment that leaves the response out (a route
    response can carry a token)."""

    def instrument(handler: Handler) -> Handler:
        wrapped: Callable[..., Any] = handler
        if traced:
            wrapped = tracer.capture_lambda_handler(wrapped, capture_response=False)
        wrapped = metrics.log_metrics(wrapped)
        # clear_state: an invocation's keys (its correlation id) never leak into the next
        # one of another entry point in the same process (the local stack runs them all).
        wrapped = logger.inject_lambda_context(
            wrapped, correlation_id_path=correlation_id_path, clear_state=True
        )
        return cast(Handler, wrapped)

    return instrument


def log_failure(message: str, error: BaseException, **keys: Any) -> None:
    """A best-effort step that failed (call it in the `except`): a busy or unanswering store
    is expected under load, so one WARNING line naming the error's class; anything else is
    a bug and keeps its traceback."""
    if isinstance(error, StoreBusy):
        logger.warning(message, error=type(error).__name__, stacklevel=3, **keys)
    else:
        logger.exception(message, stacklevel=3, **keys)
