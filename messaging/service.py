"""One message in, one frame out: read, identify, limit, authorize, act.

This is the one place where failures become error frames. Validation comes first and
bad input changes no item and no subscription, but it is counted: a malformed or refused
message costs as much as a good one, and a connection refused too often in a minute is
closed (messaging.ratelimit).
"""

from __future__ import annotations

from mediaday.errors import (
    Conflict,
    DeliveryError,
    MediaDayError,
    RequestError,
    StoreBusy,
    Unauthorized,
)
from mediaday.observability import log_failure, logger
from mediaday.protocol import Ack, ErrorFrame, Pong
from messaging.access import check_access
from messaging.actions import perform
from messaging.authorization import authorize_action
from messaging.context import Caller, Collaborators
from messaging.pairing import serve_pending
from messaging.parsing import decode_body, readable_id, validate_request
from messaging.ratelimit import close_abusive, closing_message, count_refusal, enforce_rate_limit

Reply = Ack | Pong | ErrorFrame
INTERNAL_MESSAGE = (
    "internal error: the request may or may not have been applied; "
    "retry with the same id (a retry is never applied twice)"
)
DELIVERY_MESSAGE = "the answer's pages could not be delivered; send the request again"


def handle_message(
    body: str | None,
    *,
    connection_id: str,
    deps: Collaborators,
    base64_encoded: bool = False,
    received_ms: int | None = None,
    shed_after_ms: int | None = None,
) -> Reply:
    """The frame answering one client message (never raises). A message received more
    than `shed_after_ms` ago is answered `busy` with a retry-after hint, touching nothing."""
    request_id: str | None = None
    action: str | None = None
    counted = False  # by the rate counters, for its connection and its subject
    try:
        data = decode_body(body, base64_encoded=base64_encoded)
        request_id = readable_id(data)
        request = validate_request(data)
        action = request.action
        if action != "ping" and received_ms is not None and shed_after_ms is not None:
            waited_ms = deps.now_ms() - received_ms
            if waited_ms > shed_after_ms:
                return _shed(request_id, waited_ms, deps)
        connection = deps.connections.get(connection_id)
        if connection is None:  # a screen waiting to be paired, or unauthorized
            return serve_pending(request, connection_id, deps)
        check_access(connection, request_id, deps)
        if action != "ping":  # a heartbeat writes no counter (docs/reliability.md)
            counted = True
            enforce_rate_limit(
                deps.connections,
                connection,
                limit_per_minute=deps.rate_limit_per_minute,
                limits=deps.limits,
                now=deps.clock(),
            )
        authorize_action(connection, request.action)
        reply = perform(request, Caller(connection, request.id), deps)
    except MediaDayError as error:
        code, message = error.code, error.message
        if isinstance(error, DeliveryError):
            code, message = DeliveryError.code, DELIVERY_MESSAGE
        closing = isinstance(error, RequestError) and _closes(error, connection_id, counted, deps)
        if closing:
            message = closing_message(deps.limits)
        logger.info(
            "request refused",
            code=code,
            reason=error.message,
            action=action,
            request_id=request_id,
            connection_id=connection_id,
        )
        frame = ErrorFrame(
            id=request_id,
            code=code,
            message=message,
            current=error.current if isinstance(error, Conflict) else None,
            server_time=deps.now_ms(),
        )
        if closing:
            close_abusive(deps.connections, deps.poster, connection_id, frame.encode())
        return frame
    except Exception:
        logger.exception(
            "request failed", action=action, request_id=request_id, connection_id=connection_id
        )
        return ErrorFrame(
            id=request_id, code="internal", message=INTERNAL_MESSAGE, server_time=deps.now_ms()
        )
    logger.info(
        "request handled",
        action=action,
        request_id=request_id,
        connection_id=connection_id,
        duplicate=bool(getattr(reply, "duplicate", False)),
    )
    return reply


def _shed(request_id: str | None, waited_ms: int, deps: Collaborators) -> ErrorFrame:
    """`busy` for a request that queued too long: come back after about as long as it
    waited (1-10 s), so a backlog drains instead of growing."""
    retry_after_ms = min(10_000, max(1_000, waited_ms))
    logger.warning("request shed", request_id=request_id, waited_ms=waited_ms)
    return ErrorFrame(
        id=request_id,
        code=StoreBusy.code,
        message=f"the server is overloaded: retry with the same id in {retry_after_ms} ms",
        retry_after_ms=retry_after_ms,
        server_time=deps.now_ms(),
    )


def _closes(error: RequestError, connection_id: str, counted: bool, deps: Collaborators) -> bool:
    """Count a refusal against its connection; True when the connection must be closed.
    Never raises: the refusal is answered whatever happens to its counting."""
    if isinstance(error, Unauthorized):  # no such connection (or no longer): nothing to count
        return False
    try:
        return count_refusal(
            deps.connections,
            connection_id,
            error,
            counted=counted,
            limits=deps.limits,
            now=deps.clock(),
        )
    except Exception as failure:
        log_failure("refusal not counted", failure, connection_id=connection_id)
        return False
