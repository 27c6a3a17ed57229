"""$connect and $disconnect: thin Lambda entry points around connect.logic."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Field

from connect.logic import Handshake, Refused, admit, release
from mediaday.factories import get_connection_store
from mediaday.keys import get_key_provider
from mediaday.observability import logger, metrics, tracer
from mediaday.settings import get_settings


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    """Powertools' model leaves out the query string, which carries the token."""

    query_string_parameters: dict[str, str] | None = Field(None, alias="queryStringParameters")


@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def on_connect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway is opening a connection: admit it or refuse it."""
    request = ConnectEvent.model_validate(event)
    context_ = request.request_context
    handshake = Handshake(
        connection_id=context_.connection_id,
        connected_at_ms=int(context_.connected_at.timestamp() * 1000),
        source_ip=str(context_.identity.source_ip.network_address),
        headers={name.lower(): value for name, value in request.headers.items()},
        query=request.query_string_parameters or {},
    )
    settings = get_settings()
    try:
        admission = admit(
            handshake,
            keys=get_key_provider(),
            store=get_connection_store(),
            allowed_origins=settings.allowed_origins,
            connection_ttl_seconds=settings.connection_ttl_seconds,
            now=time.time(),
        )
    except Refused as refusal:
        logger.info("connection refused", status=refusal.status, reason=refusal.reason)
        metrics.add_metric(name="ConnectionsRefused", unit=MetricUnit.Count, value=1)
        return {"statusCode": refusal.status, "body": refusal.reason}
    connection = admission.connection
    logger.info(
        "connection admitted",
        connection_id=connection.connection_id,
        role=connection.role.value,
        station=connection.station,
        media_day=connection.media_day,
    )
    metrics.add_metric(name="ConnectionsAdmitted", unit=MetricUnit.Count, value=1)
    response: dict[str, Any] = {"statusCode": 200}
    if admission.subprotocol:
        response["headers"] = {"Sec-WebSocket-Protocol": admission.subprotocol}
    return response


@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId")
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def on_disconnect(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """API Gateway closed a connection (best effort: TTL and Gone cleanup cover misses)."""
    request = APIGatewayWebSocketDisconnectEventModel.model_validate(event)
    connection_id = request.request_context.connection_id
    removed = release(connection_id, store=get_connection_store())
    logger.info(
        "connection released",
        connection_id=connection_id,
        rows_removed=removed,
        disconnect_status=request.request_context.disconnect_status_code,
    )
    metrics.add_metric(name="ConnectionsReleased", unit=MetricUnit.Count, value=1)
    return {"statusCode": 200}
