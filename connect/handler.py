"""$connect and $disconnect (around connect.logic), the expiry sweep (around
connect.sweep) and the signing key's rotation (around connect.rotation): thin Lambda
entry points."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connect.logic import Handshake, Refused, admit, release
from connect.pairing import admit_pending, release_pending, wants_pairing
from connect.rotation import RotationStep, rotate
from mediaday.errors import RotationRefused, StoreBusy
from mediaday.factories import (
    get_callback_poster,
    get_connection_store,
    get_pairing_store,
    get_poster,
    get_revocation_store,
    get_signing_key_secret,
)
from mediaday.gateway_events import ConnectEvent, DisconnectEvent
from mediaday.keys import get_key_provider, new_signing_key
from mediaday.observability import CONNECTION_ID_PATH, lambda_entry, logger, metrics
from mediaday.pairing import PairingLimits
from mediaday.presence import announce
from mediaday.settings import get_settings


@lambda_entry(correlation_id_path=CONNECTION_ID_PATH)
def on_connect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway is opening a connection: admit it or refuse it."""
    request = ConnectEvent.model_validate(event)
    context_ = request.request_context
    handshake = Handshake(
        connection_id=context_.connection_id,
        connected_at_ms=int(context_.connected_at.timestamp() * 1000),
        source_ip=str(context_.identity.source_ip),
        headers={name.lower(): value for name, value in request.headers.items()},
        query=request.query_string_parameters or {},
        user_agent=context_.identity.user_agent or "",
    )
    settings = get_settings()
    if wants_pairing(handshake):
        return _admit_pending(handshake)
    try:
        admission = admit(
            handshake,
            keys=get_key_provider(),
            store=get_connection_store(),
            revocations=get_revocation_store(),
            allowed_origins=settings.allowed_origins,
            connection_ttl_seconds=settings.connection_ttl_seconds,
            now=time.time(),
            max_connections_per_subject=settings.max_connections_per_subject,
        )
    except Refused as refusal:
        logger.info("connection refused", status=refusal.status, reason=refusal.reason)
        metrics.add_metric(name="ConnectionsRefused", unit=MetricUnit.Count, value=1)
        return {"statusCode": refusal.status, "body": refusal.reason}
    except StoreBusy as error:  # an overloaded table: the client's backoff tries again
        return _busy(error)
    connection = admission.connection
    logger.info(
        "connection admitted",
        connection_id=connection.connection_id,
        role=connection.role.value,
        station=connection.station,
        media_day=connection.media_day,
    )
    metrics.add_metric(name="ConnectionsAdmitted", unit=MetricUnit.Count, value=1)
    announce(
        connection,
        "connected",
        store=get_connection_store(),
        poster=get_callback_poster(context_.domain_name, context_.stage),
        now_ms=_now_ms(),
    )
    response: dict[str, Any] = {"statusCode": 200}
    if admission.subprotocol:
        response["headers"] = {"Sec-WebSocket-Protocol": admission.subprotocol}
    return response


@lambda_entry(correlation_id_path=CONNECTION_ID_PATH)
def on_disconnect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway closed a connection (best effort: TTL and Gone cleanup cover misses)."""
    request = DisconnectEvent.model_validate(event)
    connection_id = request.request_context.connection_id
    store = get_connection_store()
    try:
        connection, removed = release(connection_id, store=store)
    except StoreBusy as error:  # its rows expire by TTL; a post to it meets Gone meanwhile
        logger.warning(
            "connection not released", connection_id=connection_id, error=type(error).__name__
        )
        metrics.add_metric(name="ConnectionsNotReleased", unit=MetricUnit.Count, value=1)
        return {"statusCode": 200}
    context_ = request.request_context
    poster = get_callback_poster(context_.domain_name, context_.stage)
    if connection is not None:
        announce(connection, "disconnected", store=store, poster=poster, now_ms=_now_ms())
    else:  # perhaps a screen that was waiting to be paired
        release_pending(connection_id, store=get_pairing_store(), poster=poster, now_ms=_now_ms())
    logger.info(
        "connection released",
        connection_id=connection_id,
        rows_removed=removed,
        disconnect_status=request.request_context.disconnect_status_code,
    )
    metrics.add_metric(name="ConnectionsReleased", unit=MetricUnit.Count, value=1)
    return {"statusCode": 200}


@lambda_entry(traced=False)
def on_sweep(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Close connections whose token expired (EventBridge, every minute): one pass every
    `expiry_sweep_seconds` until the next invocation is due."""
    from connect.sweep import sweep_expired  # noqa: PLC0415 ($connect never needs it)

    settings = get_settings()
    store, poster = get_connection_store(), get_poster()
    interval = settings.expiry_sweep_seconds
    closed = 0
    while True:
        started = time.monotonic()
        closed += len(sweep_expired(store, poster, now=time.time()))
        # Stop when another pass would not finish before the minute (or the timeout) is up.
        if context.get_remaining_time_in_millis() < (interval + 5) * 1000:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    if closed:
        metrics.add_metric(name="ExpiredConnectionsClosed", unit=MetricUnit.Count, value=closed)
    return {"closed": closed}


def _admit_pending(handshake: Handshake) -> dict[str, Any]:
    """`?pair` without a token: a screen that waits for a producer's approval."""
    settings = get_settings()
    try:
        admit_pending(
            handshake,
            store=get_pairing_store(),
            limits=PairingLimits.from_settings(settings),
            allowed_origins=settings.allowed_origins,
            connection_ttl_seconds=settings.connection_ttl_seconds,
            now=time.time(),
        )
    except Refused as refusal:
        logger.info("pairing connection refused", status=refusal.status, reason=refusal.reason)
        metrics.add_metric(name="PairingConnectionsRefused", unit=MetricUnit.Count, value=1)
        return {"statusCode": refusal.status, "body": refusal.reason}
    except StoreBusy as error:
        return _busy(error)
    logger.info("pairing device admitted", connection_id=handshake.connection_id)
    metrics.add_metric(name="PairingDevicesAdmitted", unit=MetricUnit.Count, value=1)
    return {"statusCode": 200}


def _busy(error: StoreBusy) -> dict[str, Any]:
    """503 for a handshake the store could not serve in time: a transient, logged without
    a traceback (a Lambda that raised would be answered 502 and logged as a bug)."""
    logger.warning("connection not admitted: store busy", status=503, error=type(error).__name__)
    metrics.add_metric(name="ConnectionsRefused", unit=MetricUnit.Count, value=1)
    return {"statusCode": 503, "body": "the server is busy: retry shortly"}


def _now_ms() -> int:
    return int(time.time() * 1000)


class RotationEvent(BaseModel):
    """What Secrets Manager sends the rotation function, once per step (built then, not in
    every cold start of the zip's other functions)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    step: RotationStep = Field(alias="Step")
    secret_id: str = Field(alias="SecretId", min_length=1, max_length=2048)
    version_id: str = Field(alias="ClientRequestToken", min_length=32, max_length=64)


@lambda_entry()
def on_rotate_signing_key(event: dict[str, Any], context: LambdaContext) -> None:
    """Secrets Manager rotates the token signing key: one step per call. A refused step
    raises, so Secrets Manager stops the rotation and the current key stays in place."""
    try:
        request = RotationEvent.model_validate(event)
        outcome = rotate(
            request.step,
            request.version_id,
            secret=get_signing_key_secret(request.secret_id),
            new_key=new_signing_key,
        )
    except (ValidationError, RotationRefused) as error:
        refusal = (
            error
            if isinstance(error, RotationRefused)
            else RotationRefused(f"not a Secrets Manager rotation event: {_fields(error)}")
        )
        logger.error("signing key rotation refused", code=refusal.code, reason=refusal.message)
        metrics.add_metric(name="KeyRotationsRefused", unit=MetricUnit.Count, value=1)
        raise refusal from None
    logger.info("signing key rotation step", step=request.step.value, outcome=outcome)
    metrics.add_metric(name="KeyRotationSteps", unit=MetricUnit.Count, value=1)
    if request.step is RotationStep.FINISH:
        metrics.add_metric(name="KeyRotationsFinished", unit=MetricUnit.Count, value=1)


def _fields(error: ValidationError) -> str:
    return ", ".join(".".join(str(p) for p in e["loc"]) or "event" for e in error.errors())
