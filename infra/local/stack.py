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
import signal
import socket
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger

from infra.local.broadcaster import BroadcasterConfig, BroadcasterError, BroadcasterProcess
from infra.local.demo import seed_demo
from infra.local.dynamodb import DynamoDBLocal, DynamoDBLocalError
from infra.local.faults import FaultPlan, FaultPlanError
from infra.local.gateway import WebSocketGateway
from infra.local.handlers import (
    ROUTES,
    SWEEP_TARGET,
    Handler,
    configure_handlers,
    handler,
    local_credentials,
)
from infra.local.layout import (
    CONNECTIONS_TABLE,
    COORDINATION_TABLE,
    DEFAULT_DATA_DIR,
    DEFAULT_MEDIA_DAY,
    REGION,
    STAGE,
    stack_file,
)
from infra.local.limits import GatewayLimits
from infra.local.stackfile import banner, stack_info, write_private_json

if TYPE_CHECKING:
    from mediaday.coordination import CoordinationStore

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
    try:
        faults = FaultPlan.from_env()  # reliability tests only: MEDIADAY_LOCAL_FAULTS
    except FaultPlanError as error:
        raise StackError(str(error)) from None
    dynamodb = database.client()
    await asyncio.to_thread(
        create_tables, dynamodb, connections=CONNECTIONS_TABLE, coordination=COORDINATION_TABLE
    )
    poller = _broadcaster(data_dir, database, f"{http_url}/{STAGE}", options.log_level)
    store = get_coordination_store()
    starting = await _seed_while_the_broadcaster_starts(poller, store, seed=options.demo)
    gateway = WebSocketGateway(
        {route: handler(path) for route, path in ROUTES.items()},
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
    broadcaster_watch = await _watch_broadcaster(starting, poller, gateway, stopping)
    try:
        stations = [item.id for item in store.items_of_type(DEFAULT_MEDIA_DAY, "station")]
        info = stack_info(data_dir, http_url, stations)
        info["dynamodb_endpoint"] = database.endpoint
        write_private_json(stack_file(data_dir), info)
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


async def _seed_while_the_broadcaster_starts(
    poller: BroadcasterProcess, store: CoordinationStore, *, seed: bool
) -> asyncio.Task[None]:
    """The broadcaster's process starts (a new interpreter, ~1.5 s) while the demo day is
    seeded: it reads the stream from its start, so it sees the seed either way."""
    starting = asyncio.create_task(asyncio.to_thread(poller.start))
    try:
        if seed:
            now = datetime.now(UTC)
            seeded = await asyncio.to_thread(seed_demo, store, DEFAULT_MEDIA_DAY, now=now)
            if seeded:
                logger.info("demo media day seeded", media_day=DEFAULT_MEDIA_DAY, items=seeded)
    except BaseException:
        await asyncio.gather(starting, return_exceptions=True)
        await asyncio.to_thread(poller.stop)
        raise
    return starting


async def _watch_broadcaster(
    starting: asyncio.Task[None],
    poller: BroadcasterProcess,
    gateway: WebSocketGateway,
    stopping: asyncio.Event,
) -> asyncio.Task[None]:
    """Once the broadcaster's process has started, watch it: the stack stops if it dies."""
    try:
        await starting
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
        asyncio.create_task(_sweep(handler(SWEEP_TARGET))),
    ]


def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()


async def _sweep(target: Handler) -> None:
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
