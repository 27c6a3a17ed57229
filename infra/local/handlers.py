"""The Lambda handlers as the local stack runs them: the environment they read (pointing at
the local pieces, with local credentials) and each entry point imported after it is set.

Both processes of `mediaday serve` use this: the gateway's (infra/local/stack.py) and the
broadcaster's (infra/local/broadcaster.py)."""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.local.faults import FaultPlan
from infra.local.gateway import CONNECT, DEFAULT, DISCONNECT
from infra.local.layout import (
    CONNECTIONS_TABLE,
    COORDINATION_TABLE,
    LOCAL_ACCESS_KEY_ID,
    REGION,
    credentials_file,
    key_file,
)
from infra.local.sigv4 import LocalCredentials
from infra.local.streams import StreamTarget
from mediaday.keys import ensure_key_file

ROUTES = {
    CONNECT: "connect.handler.on_connect",
    DISCONNECT: "connect.handler.on_disconnect",
    DEFAULT: "messaging.handler.on_message",
}
STREAM_TARGET = "broadcast.handler.on_stream"
# Closes idle connections whose token ran out (on AWS: an EventBridge rule each minute).
SWEEP_TARGET = "connect.handler.on_sweep"

Handler = Callable[[dict[str, Any], Any], Any]


def configure_handlers(
    data_dir: Path, *, dynamodb_endpoint: str, management_endpoint: str, log_level: str
) -> None:
    """The environment the Lambda handlers read, pointing at the local pieces.

    Local credentials, so nothing here can reach a real AWS account; their secret is random
    per data directory (0600), so only this user's processes can sign `@connections` calls.
    """
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": local_credentials(data_dir).secret_key,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_endpoint,
            "MEDIADAY_CONNECTIONS_TABLE": CONNECTIONS_TABLE,
            "MEDIADAY_COORDINATION_TABLE": COORDINATION_TABLE,
            "MEDIADAY_SIGNING_KEY_FILE": str(key_file(data_dir)),
            "MEDIADAY_MANAGEMENT_ENDPOINT": management_endpoint,
            "POWERTOOLS_SERVICE_NAME": "mediaday-local",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "MediaDayLiveLocal",
            "POWERTOOLS_LOG_LEVEL": log_level,
        }
    )
    os.environ.pop("MEDIADAY_SIGNING_SECRET_ARN", None)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from mediaday.factories import reset_all  # noqa: PLC0415 (after the environment)

    reset_all()


def local_credentials(data_dir: Path) -> LocalCredentials:
    """The stack's AWS credentials: a fixed key id, a random secret kept in the data dir."""
    secret = ensure_key_file(credentials_file(data_dir)).decode()
    return LocalCredentials(LOCAL_ACCESS_KEY_ID, secret, REGION)


def stream_target(faults: FaultPlan | None) -> StreamTarget:
    """The broadcaster as the stream poller calls it, crashing where a fault plan says."""
    target = handler(STREAM_TARGET)
    return faults.wrap_stream_target(target) if faults is not None else target


def handler(path: str) -> Handler:
    """The Lambda function at `module.attribute`, imported after the environment is set.

    With POWERTOOLS_METRICS_DISABLED, Powertools never clears its metric set and prints
    it anyway every 100 values, so each invocation here ends by clearing it.
    """
    from mediaday.observability import metrics  # noqa: PLC0415

    module_name, _, attribute = path.rpartition(".")
    function: Handler = getattr(importlib.import_module(module_name), attribute)

    def invoke(event: dict[str, Any], context: Any) -> Any:
        try:
            return function(event, context)
        finally:
            metrics.clear_metrics()

    return invoke
