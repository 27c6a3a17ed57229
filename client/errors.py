"""What the client library raises: one type per failure a caller can act on.

ClientError
├── ConnectFailed               the connection could not be opened (exit code 3 in the CLI)
│   ├── ServerUnreachable           refused, DNS, timeout, not a WebSocket endpoint, 5xx
│   └── TokenRefused                401 / 403 on the handshake: missing, expired, forged
│       └── AccessExpired               the token ran out and no new one can be had
├── RequestFailed               the server answered with an error frame (`.code`, exit 1)
│   ├── InvalidError                invalid, unknown_action, too_large (also raised locally,
│   │                               before sending, when a request fails protocol validation)
│   ├── ForbiddenError              forbidden: the token's role or station may not do this
│   ├── NotFoundError               not_found: no such item (or it was deleted)
│   ├── ConflictError               conflict: stale version; `.current` is the item now
│   ├── InvalidStateError           invalid_state: e.g. acknowledging a cancelled call
│   ├── RateLimitedError            rate_limited: slow down and retry with the same id
│   ├── ResyncRequiredError         resync_required: the asked rev is older than what is kept
│   ├── UnauthorizedError           unauthorized: the server forgot this connection
│   ├── DoubleBookedError           double_booked: an athlete in two slots; names the other
│   ├── BatchTooLargeError          batch_too_large: more than one transaction holds; split
│   └── ServerError                 anything else (internal, busy, delivery_failed)
├── RequestTimeout              no answer in time: the request may or may not have been
│                               applied; retrying it with the same id is safe
└── ClientClosed                the client was closed while the request waited
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from mediaday import errors as server
from mediaday.protocol import ACTIONS
from mediaday.validation import pattern_rule


class ClientError(server.CodedError):
    code = "client_error"


# -- connecting ---------------------------------------------------------------------------
class ConnectFailed(ClientError):
    code = "connect_failed"


class ServerUnreachable(ConnectFailed):
    code = "unreachable"


class TokenRefused(ConnectFailed):
    code = "token_refused"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AccessExpired(TokenRefused):
    """The token has run out and there is no way to get a new one (client.access)."""

    code = "access_expired"


# -- answers ------------------------------------------------------------------------------
class RequestFailed(ClientError):
    """The server refused a request; `code` is the stable code of its error frame."""

    code = "request_failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        request_id: str | None = None,
        current: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.request_id = request_id
        self.current = current


class InvalidError(RequestFailed):
    code = "invalid"


class ForbiddenError(RequestFailed):
    code = "forbidden"


class NotFoundError(RequestFailed):
    code = "not_found"


class ConflictError(RequestFailed):
    """A stale write: `current` is the item as it stands, to retry against its version."""

    code = "conflict"


class InvalidStateError(RequestFailed):
    code = "invalid_state"


class RateLimitedError(RequestFailed):
    code = "rate_limited"


class ResyncRequiredError(RequestFailed):
    code = "resync_required"


class UnauthorizedError(RequestFailed):
    code = "unauthorized"


class DoubleBookedError(RequestFailed):
    code = "double_booked"


class BatchTooLargeError(RequestFailed):
    code = "batch_too_large"


class ServerError(RequestFailed):
    code = "internal"


# Each code the server can put in an error frame (mediaday.errors, the one catalogue of
# codes) and the client class that stands for it; unknown codes fall back to ServerError.
_CLIENT_CLASS: dict[type[server.MediaDayError], type[RequestFailed]] = {
    server.InvalidRequest: InvalidError,
    server.UnknownAction: InvalidError,
    server.MessageTooLarge: InvalidError,
    server.Forbidden: ForbiddenError,
    server.NotFound: NotFoundError,
    server.Conflict: ConflictError,
    server.InvalidState: InvalidStateError,
    server.RateLimited: RateLimitedError,
    server.ResyncRequired: ResyncRequiredError,
    server.Unauthorized: UnauthorizedError,
    server.DoubleBooked: DoubleBookedError,
    server.BatchTooLarge: BatchTooLargeError,
    server.PairingCodeUnknown: NotFoundError,
    server.PairingCodeExpired: InvalidStateError,
    server.PairingCodeUsed: InvalidStateError,
    server.PairingRateLimited: RateLimitedError,
    server.StoreBusy: ServerError,
    server.DeliveryError: ServerError,
    server.MediaDayError: ServerError,
}
_BY_CODE: dict[str, type[RequestFailed]] = {
    error.code: kind for error, kind in _CLIENT_CLASS.items()
}


def error_for(
    code: str,
    message: str,
    *,
    request_id: str | None = None,
    current: dict[str, Any] | None = None,
) -> RequestFailed:
    """The typed error for an error frame's code (unknown codes are ServerError)."""
    kind = _BY_CODE.get(code, ServerError)
    return kind(message, code=code, request_id=request_id, current=current)


# -- waiting ------------------------------------------------------------------------------
class RequestTimeout(ClientError):
    code = "timeout"

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class ClientClosed(ClientError):
    code = "closed"


def describe_validation(error: ValidationError) -> str:
    """A pydantic error as one line a person can act on: `field: problem; ...`."""
    problems = []
    for problem in error.errors():
        # a discriminated union puts the tag (the action) first in the location: drop it
        where = ".".join(str(part) for part in problem["loc"] if part not in ACTIONS)
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "string_pattern_mismatch":
            message = pattern_rule(str(problem.get("ctx", {}).get("pattern", "")))
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)
