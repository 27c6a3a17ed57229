"""`mediaday serve`: DynamoDB Local, the API Gateway emulator, the stream poller and the
demo day in one process, running the same handler functions Lambda runs.

Start order: bind the port (fail fast if taken), DynamoDB Local, tables, demo day, handler
environment, gateway, the broadcaster's process (stream poller + broadcast handler,
infra/local/broadcaster.py), then `<data-dir>/stack.json`. Ctrl-C / SIGTERM stop it in
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

from infra.local.broadcaster import BroadcasterConfig, BroadcasterError, BroadcasterProcess
from infra.local.demo import seed_demo
from infra.local.dynamodb import DynamoDBLocal, DynamoDBLocalError
from infra.local.faults import FaultPlan, FaultPlanError
from infra.local.gateway import CONNECT, DEFAULT, DISCONNECT, WebSocketGateway
from infra.local.layout import (
    CONNECTIONS_TABLE,
    COORDINATION_TABLE,
    DEFAULT_DATA_DIR,
    DEFAULT_MEDIA_DAY,
    LOCAL_ACCESS_KEY_ID,
    REGION,
    STAGE,
    credentials_file,
    key_file,
    stack_file,
)
from infra.local.limits import GatewayLimits
from infra.local.sigv4 import LocalCredentials
from infra.local.streams import StreamTarget
from mediaday.keys import FileKeyProvider, ensure_key_file
from mediaday.models import Role
from mediaday.tokens import issue_token

TOKEN_TTL_SECONDS = 12 * 3600
ROUTES = {
    CONNECT: "connect.handler.on_connect",
    DISCONNECT: "connect.handler.on_disconnect",
    DEFAULT: "messaging.handler.on_message",
}
STREAM_TARGET = "broadcast.handler.on_stream"
# Closes idle connections whose token ran out (on AWS: an EventBridge rule each minute).
SWEEP_TARGET = "connect.handler.on_sweep"

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


def stream_target(faults: FaultPlan | None) -> StreamTarget:
    """The broadcaster as the stream poller calls it, crashing where a fault plan says."""
    target = _handler(STREAM_TARGET)
    return faults.wrap_stream_target(target) if faults is not None else target


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
    poller = _broadcaster(data_dir, database, f"{http_url}/{STAGE}", options.log_level)
    gateway = WebSocketGateway(
        {route: _handler(path) for route, path in ROUTES.items()},
        stage=STAGE,
        limits=options.limits,
        web_root=options.web_root,
        faults=faults,
        after_message=poller.nudge,  # a write's record is on the stream once it is acked
        credentials=local_credentials(data_dir),
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)

    await gateway.start_on(listener)
    broadcaster_watch = await _start_broadcaster(poller, gateway, stopping)
    try:
        stations = [item.id for item in store.items_of_type(DEFAULT_MEDIA_DAY, "station")]
        info = stack_info(data_dir, http_url, stations)
        info["dynamodb_endpoint"] = database.endpoint
        _write_json(stack_file(data_dir), info)
        print(banner(info, database.endpoint, data_dir), flush=True)
        background = _background(database, stopping)
        await stopping.wait()
        _cancel(background)
        print("mediaday serve: stopping…", flush=True)
    finally:
        broadcaster_watch.cancel()
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


def _broadcaster(
    data_dir: Path, database: DynamoDBLocal, management_endpoint: str, log_level: str
) -> BroadcasterProcess:
    """The stream poller and the broadcaster, to run in a process of their own so their
    posts and the gateway serving them do not share one GIL (infra/local/broadcaster.py)."""
    table = database.client().describe_table(TableName=COORDINATION_TABLE)["Table"]
    return BroadcasterProcess(
        BroadcasterConfig(
            data_dir=data_dir,
            dynamodb_endpoint=database.endpoint,
            management_endpoint=management_endpoint,
            stream_arn=table["LatestStreamArn"],
            region=REGION,
            log_level=log_level,
        )
    )


async def _start_broadcaster(
    poller: BroadcasterProcess, gateway: WebSocketGateway, stopping: asyncio.Event
) -> asyncio.Task[None]:
    """Start the broadcaster's process; the stack stops if it dies."""
    try:
        await asyncio.to_thread(poller.start)
    except BroadcasterError as error:
        await gateway.close()
        raise StackError(str(error)) from None

    async def watch() -> None:
        while poller.running:  # noqa: ASYNC110 (a process has no awaitable exit)
            await asyncio.sleep(1.0)
        logger.error("the broadcaster process exited: stopping the stack")
        stopping.set()

    return asyncio.create_task(watch())


def _background(database: DynamoDBLocal, stopping: asyncio.Event) -> list[asyncio.Task[None]]:
    """The stack's own loops: the DynamoDB Local watchdog and the expiry sweep."""
    return [
        asyncio.create_task(_watch(database, stopping)),
        asyncio.create_task(_sweep(_handler(SWEEP_TARGET))),
    ]


def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()


async def _sweep(target: Callable[[dict[str, Any], Any], Any]) -> None:
    """One expiry sweep pass every `expiry_sweep_seconds`, for as long as the stack runs.

    Each pass gets a context with no time left, so the handler makes exactly one pass (on
    AWS it loops for its minute)."""
    from infra.local.events import LambdaContext  # noqa: PLC0415
    from mediaday.settings import get_settings  # noqa: PLC0415 (after the environment)

    interval = get_settings().expiry_sweep_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(target, {}, LambdaContext("sweep", timeout_seconds=0))
        except Exception:  # a failed pass is retried by the next one
            logger.exception("expiry sweep failed")


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
        "producer": f"{http_url}/producer?token={tokens['producer']}",
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
        # What a local tool signs `@connections` calls with (stack.json is 0600)
        "management_credentials": {
            "access_key_id": LOCAL_ACCESS_KEY_ID,
            "secret_access_key": local_credentials(data_dir).secret_key,
            "region": REGION,
        },
    }


def banner(info: dict[str, Any], dynamodb_endpoint: str, data_dir: Path) -> str:
    lines = [
        "",
        "CBTC Media Day Live: local stack ready",
        f"  WebSocket API    {info['ws_url']}",
        f"  Management API   {info['management_url']}/@connections/{{connectionId}}",
        f"  Kiosk page       {info['links']['kiosk']}",
        f"  Producer console {info['links']['producer']}",
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


def local_credentials(data_dir: Path) -> LocalCredentials:
    """The stack's AWS credentials: a fixed key id, a random secret kept in the data dir."""
    secret = ensure_key_file(credentials_file(data_dir)).decode()
    return LocalCredentials(LOCAL_ACCESS_KEY_ID, secret, REGION)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    """Atomically, readable by this user only: stack.json holds a producer token."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(value, indent=2))
    os.replace(temporary, path)
