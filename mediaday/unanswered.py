"""A store call (DynamoDB, or Secrets Manager for the signing key) that gets no answer, or
is still throttled after the SDK's retries, is a transient of an overloaded service, not a
bug.

botocore retries a read timeout or a dropped connection itself (standard mode, 3 attempts)
and then raises its ReadTimeoutError / ConnectTimeoutError / ... from deep in urllib3. Left
alone, that escaped every store method as an unexpected exception: the client was answered
`internal` and the log got a stack trace, as for a bug (issue #19, the full-size bad-input
scenario). Each store registers `overload_as_busy` on its client, so every call,
paginated queries included, that ends without an answer raises StoreUnavailable (`busy`)
from the botocore error, after one WARNING line naming its class and operation. A call
DynamoDB refused as throttled (ProvisionedThroughputExceededException, ThrottlingException,
RequestLimitExceeded) on every attempt raises StoreBusy (`busy`): nothing was applied, so
the client's backoff retries it. Any other failure is left as it is: a bug still logs its
traceback where it is caught.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from mediaday.errors import StoreBusy, StoreUnavailable
from mediaday.observability import logger

if TYPE_CHECKING:
    from botocore.client import BaseClient

# Failures of the transport, not of the request: the same call may well succeed later.
NO_ANSWER: tuple[type[Exception], ...] = (
    ReadTimeoutError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
)
# DynamoDB's refusals of a request it had no capacity for (nothing applied), which botocore
# retries before giving up. A transaction reports throttling as a cancellation reason
# instead (THROTTLED_REASONS), which the coordination store retries, then answers `busy`.
THROTTLED = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
THROTTLED_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_HOOK_ID = "mediaday-unanswered-as-busy"
_THROTTLE_HOOK_ID = "mediaday-throttled-as-busy"
UNAVAILABLE_MESSAGE = (
    "the server's store did not answer in time: the request may or may not have been "
    "applied; retry with the same id"
)


def overload_as_busy(client: BaseClient) -> None:
    """Make `client` raise StoreUnavailable for a call that got no answer and StoreBusy for
    one still throttled (idempotent).

    botocore emits `after-call-error` once its retries are spent, from inside the `except`
    of the failed call, and `after-call` with the parsed error before it raises the
    ClientError; an exception raised by a handler replaces the original one."""
    client.meta.events.register("after-call-error", _raise_unavailable, unique_id=_HOOK_ID)
    client.meta.events.register("after-call", _raise_throttled, unique_id=_THROTTLE_HOOK_ID)


def _raise_throttled(parsed: dict[str, Any] | None = None, **kwargs: Any) -> None:
    code = ((parsed or {}).get("Error") or {}).get("Code")
    if code not in THROTTLED:
        return
    logger.warning("store throttled", operation=_operation(kwargs), error=code)
    raise StoreBusy("the server's store is throttling requests; retry")


def _raise_unavailable(exception: BaseException | None = None, **kwargs: Any) -> None:
    if not isinstance(exception, NO_ANSWER):
        return
    logger.warning(
        "store did not answer",
        operation=_operation(kwargs),
        error=type(exception).__name__,
        detail=str(exception),
    )
    raise StoreUnavailable(UNAVAILABLE_MESSAGE) from exception


def _operation(event: dict[str, Any]) -> str | None:
    """The operation an event names: `after-call.dynamodb.PutItem` -> `PutItem`."""
    return str(event.get("event_name", "")).rpartition(".")[2] or None
