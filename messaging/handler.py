"""$default: the thin Lambda entry point around messaging.service.

The route response is the answering frame (ack, error or pong) as JSON text; API Gateway
sends it to the client after any snapshot/sync pages the action already posted.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from mediaday.factories import (
    get_callback_poster,
    get_connection_store,
    get_coordination_store,
    get_pairing_store,
    get_revocation_store,
)
from mediaday.gateway_events import MessageEvent
from mediaday.keys import get_key_provider
from mediaday.observability import CONNECTION_ID_PATH, lambda_entry, metrics
from mediaday.pairing import PairingLimits
from mediaday.poster import Poster
from mediaday.settings import get_settings
from messaging.context import Collaborators
from messaging.ratelimit import AbuseLimits
from messaging.service import handle_message


@lambda_entry(correlation_id_path=CONNECTION_ID_PATH)
def on_message(
    event: dict[str, Any], context: LambdaContext, *, poster: Poster | None = None
) -> dict[str, Any]:
    """A client sent a message: answer it (`poster` lets tests and the local stack
    receive snapshot pages without the Management API)."""
    request = MessageEvent.model_validate(event)
    gateway = request.request_context
    deps = Collaborators(
        connections=get_connection_store(),
        coordination=get_coordination_store(),
        poster=poster or get_callback_poster(gateway.domain_name, gateway.stage),
        clock=time.time,
        rate_limit_per_minute=get_settings().rate_limit_per_minute,
        limits=AbuseLimits.from_settings(get_settings()),
        revocations=get_revocation_store(),
        pairing=get_pairing_store(),
        pairing_limits=PairingLimits.from_settings(get_settings()),
        keys=get_key_provider,
    )
    reply = handle_message(
        request.body,
        connection_id=gateway.connection_id,
        deps=deps,
        base64_encoded=request.is_base64_encoded,
        received_ms=int(gateway.request_time_epoch.timestamp() * 1000),
        shed_after_ms=get_settings().shed_after_ms,
    )
    if reply.type == "error":
        metrics.add_metric(name="RequestsRefused", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="RequestsHandled", unit=MetricUnit.Count, value=1)
    return {"statusCode": 200, "body": reply.encode().decode()}
