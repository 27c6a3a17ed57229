"""One message in, one frame out: read, identify, limit, authorize, act.

This is the one place where failures become error frames. Validation comes first and
touches nothing, so bad input never reaches the tables (not even the rate counter).
"""

from __future__ import annotations

from mediaday.errors import Conflict, DeliveryError, MediaDayError, Unauthorized
from mediaday.observability import logger
from mediaday.protocol import Ack, ErrorFrame, Pong
from messaging.actions import perform
from messaging.authorization import authorize_action
from messaging.context import Caller, Collaborators
from messaging.parsing import decode_body, readable_id, validate_request
from messaging.ratelimit import enforce_rate_limit

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
) -> Reply:
    """The frame answering one client message (never raises)."""
    request_id: str | None = None
    action: str | None = None
    try:
        data = decode_body(body, base64_encoded=base64_encoded)
        request_id = readable_id(data)
        request = validate_request(data)
        action = request.action
        connection = deps.connections.get(connection_id)
        if connection is None:
            raise Unauthorized(
                "this connection is not registered (it expired or was closed): reconnect"
            )
        enforce_rate_limit(
            deps.connections,
            connection_id,
            limit_per_minute=deps.rate_limit_per_minute,
            now=deps.clock(),
        )
        authorize_action(connection, request.action)
        reply = perform(request, Caller(connection, request.id), deps)
    except MediaDayError as error:
        code, message = error.code, error.message
        if isinstance(error, DeliveryError):
            code, message = DeliveryError.code, DELIVERY_MESSAGE
        logger.info(
            "request refused",
            code=code,
            reason=error.message,
            action=action,
            request_id=request_id,
            connection_id=connection_id,
        )
        return ErrorFrame(
            id=request_id,
            code=code,
            message=message,
            current=error.current if isinstance(error, Conflict) else None,
            server_time=deps.now_ms(),
        )
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
