"""`mediaday serve`: DynamoDB Local, the API Gateway emulator, the stream poller and the
demo day in one process, running the same handler functions Lambda runs.

Start order: bind the port (fail fast if taken), DynamoDB Local, tables, demo day, handler
environment, gateway, poller, then `<data-dir>/stack.json`. Ctrl-C / SIGTERM stop it in
reverse: sockets closed with 1001 (each firing $disconnect), poller, DynamoDB Local, and
stack.json removed.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import signal
import socket
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from infra.local.demo import seed_demo
from infra.local.dynamodb import DynamoDBLocal, DynamoDBLocalError
from infra.local.faults import FaultPlan, FaultPlanError
from infra.local.gateway import CONNECT, DEFAULT, DISCONNECT, WebSocketGateway
from infra.local.layout import (
    CONNECTIONS_TABLE,
    COORDINATION_TABLE,
    DEFAULT_DATA_DIR,
    DEFAULT_MEDIA_DAY,
    REGION,
    STAGE,
    key_file,
    stack_file,
)
from infra.local.limits import GatewayLimits
from infra.local.streams import StreamPoller
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.tokens import issue_token

TOKEN_TTL_SECONDS = 12 * 3600
ROUTES = {
    CONNECT: "connect.handler.on_connect",
    DISCONNECT: "connect.handler.on_disconnect",
    DEFAULT: "messaging.handler.on_message",
}
STREAM_TARGET = "broadcast.handler.on_stream"

logger = Logger(service="local-stack")


@dataclass(frozen=True)
class StackOptions:
    """What `mediaday serve` asks for. The CLI owns the web pages, so it passes their
    directory down as `web_root` (None: no pages, the APIs only)."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = DEFAULT_DATA_DIR
    demo: bool = True
    limits: GatewayLimits = field(default_factory=GatewayLimits)
    log_level: str = "WARNING"
    web_root: Path | None = None


class StackError(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


def serve(options: StackOptions) -> int:
    """Run the stack until Ctrl-C or SIGTERM; returns the process exit code."""
    data_dir = options.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        listener = _listen(options.host, options.port)
    except StackError as error:
        print(f"mediaday serve: {error}", file=sys.stderr)
        return 1
    database = DynamoDBLocal(data_dir)
    try:
        database.start()
        return asyncio.run(_run(options, data_dir, listener, database))
    except (DynamoDBLocalError, StackError) as error:
        print(f"mediaday serve: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C before the stack was up
        return 130
    finally:
        listener.close()
        database.stop()
        stack_file(data_dir).unlink(missing_ok=True)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise StackError(f"cannot listen on {host}:{port} ({error}): pass --port") from error
    return sock


def configure_handlers(
    data_dir: Path, *, dynamodb_endpoint: str, management_endpoint: str, log_level: str
) -> None:
    """The environment the Lambda handlers read, pointing at the local pieces.

    Fake credentials, so nothing here can reach a real AWS account.
    """
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
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


def _handler(path: str) -> Callable[[dict[str, Any], Any], Any]:
    """The Lambda function at `module.attribute`, imported after the environment is set.

    With POWERTOOLS_METRICS_DISABLED, Powertools never clears its metric set and prints
    it anyway every 100 values, so each invocation here ends by clearing it.
    """
    from mediaday.observability import metrics  # noqa: PLC0415

    module_name, _, attribute = path.rpartition(".")
    handler: Callable[[dict[str, Any], Any], Any] = getattr(
        importlib.import_module(module_name), attribute
    )

    def invoke(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        finally:
            metrics.clear_metrics()

    return invoke


async def _run(
    options: StackOptions, data_dir: Path, listener: socket.socket, database: DynamoDBLocal
) -> int:
    host, port = listener.getsockname()[:2]
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    http_url = f"http://{public_host}:{port}"
    configure_handlers(
        data_dir,
        dynamodb_endpoint=database.endpoint,
        management_endpoint=f"{http_url}/{STAGE}",
        log_level=options.log_level,
    )
    boto3.setup_default_session()  # the handlers' clients come from this session
    assert boto3.DEFAULT_SESSION is not None
    database.install_commit_barrier(boto3.DEFAULT_SESSION)
    from mediaday.factories import get_coordination_store, reset_all  # noqa: PLC0415

    reset_all()
    from mediaday.observability import logger as handler_logger  # noqa: PLC0415
    from mediaday.tables import create_tables  # noqa: PLC0415

    handler_logger.setLevel(options.log_level)
    dynamodb = database.client()
    await asyncio.to_thread(
        create_tables, dynamodb, connections=CONNECTIONS_TABLE, coordination=COORDINATION_TABLE
    )
    store = get_coordination_store()
    if options.demo:
        seeded = await asyncio.to_thread(seed_demo, store, DEFAULT_MEDIA_DAY, now=datetime.now(UTC))
        if seeded:
            logger.info("demo media day seeded", media_day=DEFAULT_MEDIA_DAY, items=seeded)

    try:
        faults = FaultPlan.from_env()  # reliability tests only: MEDIADAY_LOCAL_FAULTS
    except FaultPlanError as error:
        raise StackError(str(error)) from None
    stream_target = _handler(STREAM_TARGET)
    if faults is not None:
        stream_target = faults.wrap_stream_target(stream_target)
    stream_arn = dynamodb.describe_table(TableName=COORDINATION_TABLE)["Table"]["LatestStreamArn"]
    poller = StreamPoller(
        database.client("dynamodbstreams"),
        stream_arn,
        stream_target,
        data_dir=data_dir,
        region=REGION,
    )
    gateway = WebSocketGateway(
        {route: _handler(path) for route, path in ROUTES.items()},
        stage=STAGE,
        limits=options.limits,
        web_root=options.web_root,
        faults=faults,
        after_message=poller.nudge,  # a write's record is on the stream once it is acked
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    await gateway.start_on(listener)
    poller.start()
    try:
        stations = [item.id for item in store.items_of_type(DEFAULT_MEDIA_DAY, "station")]
        info = stack_info(data_dir, http_url, stations)
        info["dynamodb_endpoint"] = database.endpoint
        _write_json(stack_file(data_dir), info)
        print(banner(info, database.endpoint, data_dir), flush=True)
        watchdog = asyncio.create_task(_watch(database, stopping))
        await stopping.wait()
        watchdog.cancel()
        print("mediaday serve: stopping…", flush=True)
    finally:
        await gateway.close()
        await asyncio.to_thread(poller.stop)
    if not database.running:
        raise StackError(f"DynamoDB Local stopped unexpectedly: see {database.log_path}")
    return 0


async def _watch(database: DynamoDBLocal, stopping: asyncio.Event) -> None:
    """Stop the stack if DynamoDB Local dies under it: nothing works without it."""
    while database.running:  # noqa: ASYNC110 (Popen has no awaitable exit)
        await asyncio.sleep(1.0)
    logger.error("DynamoDB Local exited", log=str(database.log_path))
    stopping.set()


def stack_info(data_dir: Path, http_url: str, stations: list[str]) -> dict[str, Any]:
    """What stack.json holds: URLs and ready-to-use tokens for the demo media day."""
    key = FileKeyProvider(key_file(data_dir)).current_key()

    def token(role: Role, station: str | None = None) -> str:
        subject = "-".join(filter(None, [role.value, station]))
        return issue_token(
            key,
            role=role,
            media_day=DEFAULT_MEDIA_DAY,
            subject=subject,
            station=station,
            ttl_seconds=TOKEN_TTL_SECONDS,
        )

    crew = {station: token(Role.CREW, station) for station in stations}
    tokens = {"producer": token(Role.PRODUCER), "crew": crew, "kiosk": token(Role.KIOSK)}
    ws_url = http_url.replace("http://", "ws://", 1) + f"/{STAGE}"
    links = {
        "kiosk": f"{http_url}/kiosk?token={tokens['kiosk']}",
        "crew": {s: f"{http_url}/crew?token={t}" for s, t in crew.items()},
    }
    return {
        "ws_url": ws_url,
        "http_url": http_url,
        "management_url": f"{http_url}/{STAGE}",
        "kiosk_url": f"{http_url}/kiosk",
        "crew_url": f"{http_url}/crew",
        "media_day": DEFAULT_MEDIA_DAY,
        "tokens": tokens,
        "links": links,
        "pid": os.getpid(),
    }


def banner(info: dict[str, Any], dynamodb_endpoint: str, data_dir: Path) -> str:
    lines = [
        "",
        "CBTC Media Day Live: local stack ready",
        f"  WebSocket API    {info['ws_url']}",
        f"  Management API   {info['management_url']}/@connections/{{connectionId}}",
        f"  Kiosk page       {info['links']['kiosk']}",
    ]
    for station, link in info["links"]["crew"].items():
        lines.append(f"  Crew page {station:<6} {link}")
    lines += [
        f"  DynamoDB Local   {dynamodb_endpoint}",
        f"  Data directory   {data_dir}",
        "",
        f"  producer token   {info['tokens']['producer']}",
        f"  kiosk token      {info['tokens']['kiosk']}",
    ]
    for station, crew_token in info["tokens"]["crew"].items():
        lines.append(f"  crew {station:<6} token {crew_token}")
    lines += [
        "",
        f"  More tokens: mediaday token --data-dir {data_dir} --role crew --station st-1",
        "  Stop with Ctrl-C (data stays in the data directory).",
        "",
    ]
    return "\n".join(lines)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(value, indent=2))
    os.replace(temporary, path)
