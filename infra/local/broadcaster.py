"""The broadcaster in a process of its own: the stream poller and `broadcast.handler.on_stream`.

In AWS the broadcast Lambda and API Gateway never share a CPU. Locally they used to share
one interpreter: every `POST @connections` was signed and sent by a broadcaster thread
and served by the emulator's event loop under the same GIL, so a fan-out to a thousand
screens ran at the speed of one core doing both halves. Here the poller and the handler
run in a child process (multiprocessing, spawn), the same handler code Lambda runs, and
reach the gateway's `@connections` over HTTP as the Lambda reaches API Gateway's.

The parent keeps the nudge (a write was acknowledged, so its record is on the stream):
`nudge()` sets a process-shared event that a thread in the child turns into
`StreamPoller.nudge()`. The child stops when told to, or when its parent is gone.
Injected faults (infra/local/faults.py) that concern the stream are counted by the child
in a report of its own, beside the gateway's.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from pathlib import Path

from aws_lambda_powertools import Logger

logger = Logger(service="local-stack")

_STARTUP_SECONDS = 90.0
_PARENT_CHECK_SECONDS = 0.5


@dataclass(frozen=True)
class BroadcasterConfig:
    """What the child needs to run the broadcaster as the stack configured it."""

    data_dir: Path
    dynamodb_endpoint: str
    management_endpoint: str
    stream_arn: str
    region: str
    log_level: str


class BroadcasterError(RuntimeError):
    """The broadcaster process did not start or stopped unexpectedly."""


class BroadcasterProcess:
    """Start with `start()` (returns once the poller runs), `nudge()` from any thread,
    `stop()` to end it."""

    def __init__(self, config: BroadcasterConfig) -> None:
        self.config = config
        self._context = multiprocessing.get_context("spawn")
        self._wake = self._context.Event()
        self._stop = self._context.Event()
        self._ready = self._context.Event()
        self._process: SpawnProcess | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self, timeout: float = _STARTUP_SECONDS) -> None:
        self._process = self._context.Process(
            target=run_broadcaster,
            args=(self.config, self._wake, self._stop, self._ready, os.getpid()),
            name="mediaday-broadcaster",
            daemon=True,
        )
        self._process.start()
        deadline_step = 0.1
        waited = 0.0
        while not self._ready.wait(deadline_step):
            waited += deadline_step
            if not self._process.is_alive():
                raise BroadcasterError(
                    f"the broadcaster process exited with {self._process.exitcode} while "
                    "starting: see serve.log"
                )
            if waited >= timeout:
                self.stop()
                raise BroadcasterError(f"the broadcaster did not start within {timeout:.0f}s")

    def nudge(self) -> None:
        """Poll now: a write was acknowledged (thread-safe, never blocks)."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        process = self._process
        if process is None:
            return
        process.join(timeout)
        if process.is_alive():
            logger.warning("broadcaster did not stop in time; terminating it")
            process.terminate()
            process.join(5.0)


def run_broadcaster(
    config: BroadcasterConfig, wake: Event, stop: Event, ready: Event, parent_pid: int
) -> None:
    """The child's main: the handler environment, the poller, until told to stop."""
    # Ctrl-C reaches the whole process group: the parent shuts down in order and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Imported here, in the child, after its environment is set (spawn starts it bare).
    from infra.local.handlers import configure_handlers, stream_target  # noqa: PLC0415

    configure_handlers(
        config.data_dir,
        dynamodb_endpoint=config.dynamodb_endpoint,
        management_endpoint=config.management_endpoint,
        log_level=config.log_level,
    )
    import boto3  # noqa: PLC0415

    from infra.local.dynamodb import local_client  # noqa: PLC0415
    from infra.local.faults import FaultPlan, stream_report_path  # noqa: PLC0415
    from infra.local.streams import StreamPoller  # noqa: PLC0415
    from mediaday.observability import logger as handler_logger  # noqa: PLC0415

    boto3.setup_default_session()
    handler_logger.setLevel(config.log_level)
    logger.setLevel(config.log_level)
    faults = FaultPlan.from_env(report_path=stream_report_path)
    poller = StreamPoller(
        local_client(config.dynamodb_endpoint, "dynamodbstreams"),
        config.stream_arn,
        stream_target(faults),
        data_dir=config.data_dir,
        region=config.region,
    )
    poller.start()

    def relay() -> None:
        while not stop.is_set():
            if wake.wait(_PARENT_CHECK_SECONDS):
                wake.clear()
                poller.nudge()
            if os.getppid() != parent_pid:  # orphaned (the parent was killed): stop
                stop.set()

    relay_thread = threading.Thread(target=relay, name="broadcaster-wake", daemon=True)
    relay_thread.start()
    ready.set()
    stop.wait()
    poller.stop()
    relay_thread.join(_PARENT_CHECK_SECONDS * 2)
