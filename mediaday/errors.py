"""Every failure a user or operator can act on, each with a stable code: the one catalogue.

MediaDayError               internal          an unexpected failure (its code in error frames)
├── RequestError            a client request that is refused (mapped to an error frame)
│   ├── InvalidRequest          invalid         malformed JSON, wrong types, unknown fields
│   ├── UnknownAction           unknown_action  an action the protocol does not have
│   ├── MessageTooLarge         too_large       body over API Gateway's 128 KB
│   ├── Forbidden               forbidden       the connection's role may not do this
│   ├── NotFound                not_found       the item does not exist (or was deleted)
│   ├── Conflict                conflict        stale version: carries the current item
│   ├── RateLimited             rate_limited    the connection sent too much too fast
│   ├── ResyncRequired          resync_required the asked rev is older than what is kept
│   ├── Unauthorized            unauthorized    no connection record (expired or never admitted)
│   ├── InvalidState            invalid_state   the item's state forbids it (ack a cancelled call)
│   ├── DoubleBooked            double_booked   an athlete (or a station) in two slots at once
│   ├── BatchTooLarge           batch_too_large more items than one transaction holds: split
│   ├── PairingCodeUnknown      pairing_code_unknown  no waiting screen shows this code
│   ├── PairingCodeExpired      pairing_code_expired  the code ran out: the screen shows a new one
│   ├── PairingCodeUsed         pairing_code_used     the code was approved or rejected already
│   └── PairingRateLimited      pairing_rate_limited  too many pairing attempts from one source
├── StoreBusy               busy              too many writers raced for the media day's rev
│   └── StoreUnavailable        busy            the store gave no answer in time (timeouts)
├── TokenError              a token that does not admit a connection
│   ├── TokenMissing            401
│   └── TokenRejected           403 (forged, tampered, expired, wrong key)
├── DeliveryError           delivery_failed   a post through the Management API failed
│   ├── ConnectionGone          410: the connection is closed
│   ├── DeliveryThrottled       429 or 5xx: worth retrying
│   └── DeliveryRefused         403 or payload too large: retrying cannot help
├── UndeliverableRecord     undeliverable     a stream record no retry can deliver: skipped
├── RecordNotDelivered      not_delivered     some subscribers unreachable: the stream retries
└── RotationRefused         rotation_refused  a signing-key rotation step that must not run

`FRAME_ERRORS` lists the errors whose code an error frame can carry (messaging.service
sends every DeliveryError under its base code); the client maps each of those codes.
"""

from __future__ import annotations

from typing import Any


class CodedError(Exception):
    """A failure with a stable `code` and its `message`: the server's errors and the
    client library's (`client.errors`) share this one shape."""

    code: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MediaDayError(CodedError):
    code = "internal"


class RequestError(MediaDayError):
    code = "invalid"


class InvalidRequest(RequestError):
    code = "invalid"


class UnknownAction(RequestError):
    code = "unknown_action"


class MessageTooLarge(RequestError):
    code = "too_large"


class Forbidden(RequestError):
    code = "forbidden"


class NotFound(RequestError):
    code = "not_found"


class Conflict(RequestError):
    code = "conflict"

    def __init__(self, message: str, current: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.current = current


class RateLimited(RequestError):
    code = "rate_limited"


class ResyncRequired(RequestError):
    code = "resync_required"


class Unauthorized(RequestError):
    code = "unauthorized"


class InvalidState(RequestError):
    code = "invalid_state"


class DoubleBooked(RequestError):
    """The write would put one athlete in two overlapping slots (or, for a shift, a
    station's moved slot over one it keeps); the message names the other slot(s)."""

    code = "double_booked"


class BatchTooLarge(RequestError):
    """More items than one DynamoDB transaction holds (99 with the rev counter)."""

    code = "batch_too_large"


class PairingCodeUnknown(RequestError):
    """No screen waiting to be paired shows this code (mistyped, or replaced by a newer one)."""

    code = "pairing_code_unknown"


class PairingCodeExpired(RequestError):
    """The code's minutes are up; the screen has asked for a new one."""

    code = "pairing_code_expired"


class PairingCodeUsed(RequestError):
    """A code is single-use: it was approved or rejected already (a replay is refused)."""

    code = "pairing_code_used"


class PairingRateLimited(RequestError):
    """Too many pairing codes asked for from one source address in a minute."""

    code = "pairing_rate_limited"


class StoreBusy(MediaDayError):
    """Too many writers raced for the media day's counter; the client may retry."""

    code = "busy"


class StoreUnavailable(StoreBusy):
    """The store did not answer (a read or connect timeout, a dropped connection) after the
    SDK's own retries: an overloaded table is a transient, not a bug. A write may or may
    not have been applied, so the client retries with the same id."""


class TokenError(MediaDayError):
    status: int = 403
    code = "token_rejected"


class TokenMissing(TokenError):
    status = 401
    code = "token_missing"


class TokenRejected(TokenError):
    status = 403
    code = "token_rejected"


class DeliveryError(MediaDayError):
    code = "delivery_failed"


class ConnectionGone(DeliveryError):
    code = "gone"


class DeliveryThrottled(DeliveryError):
    code = "throttled"


class DeliveryRefused(DeliveryError):
    code = "refused"


class UndeliverableRecord(MediaDayError):
    """A stream record no retry can ever deliver (a corrupt image, an event over 128 KB).

    Failing it would hold back every later change of the shard until the record expires,
    so the broadcaster logs it as an error, counts it, and moves on.
    """

    code = "undeliverable"


class RecordNotDelivered(MediaDayError):
    """Some subscribers of a record could not be reached: the stream must retry it."""

    code = "not_delivered"


class RotationRefused(MediaDayError):
    """Secrets Manager asked for a rotation step that cannot be taken (rotation off, a
    version that is not pending, a pending key that is unusable): the step fails and
    Secrets Manager leaves the current key in place."""

    code = "rotation_refused"


# What an error frame's `code` can be: every request error, a busy store, a delivery
# failure (snapshot or sync pages not posted) and anything unexpected.
FRAME_ERRORS: tuple[type[MediaDayError], ...] = (
    InvalidRequest,
    UnknownAction,
    MessageTooLarge,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    ResyncRequired,
    Unauthorized,
    InvalidState,
    DoubleBooked,
    BatchTooLarge,
    PairingCodeUnknown,
    PairingCodeExpired,
    PairingCodeUsed,
    PairingRateLimited,
    StoreBusy,
    DeliveryError,
    MediaDayError,
)
FRAME_CODES = frozenset(error.code for error in FRAME_ERRORS)
