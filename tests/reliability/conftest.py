"""Fixtures of the reliability suite: sizes, a local stack with a fault plan, figures.

One stack (with the demo day and a fault plan file) serves the scenarios of this package;
a scenario that kills it leaves it restarted. Each scenario records its figures, which
are printed at the end of the run (and written as JSON to $MEDIADAY_RELIABILITY_REPORT).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from client.connection import MediaDayClient
from infra.local.dynamodb import local_client
from infra.local.faults import stream_report_path
from infra.local.layout import CONNECTIONS_TABLE
from infra.local.runner import LocalStack
from mediaday.connections import ConnectionStore
from tests.reliability.fleet import fast_options, token_maker
from tests.reliability.roster import seed_roster
from tests.reliability.sizes import Sizes, current_sizes

REPORT_VAR = "MEDIADAY_RELIABILITY_REPORT"
# Figures travel on the test report's user_properties, so the end-of-run summary has them
# whether the scenario ran in this process or in a pytest-xdist worker.
FIGURES_PROPERTY = "reliability_figures"
# How long a scenario waited for the one before it to be released (see `stack`).
QUIET_WAIT = pytest.StashKey[float]()
QUIET_TIMEOUT_SECONDS = 60.0


class FaultPlanFile:
    """Writes the stack's fault plan (infra/local/faults.py) and reads what it injected."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.report_path = path.with_name(f"{path.stem}.injected.json")

    def set(self, **plan: Any) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(plan))
        os.replace(temporary, self.path)
        time.sleep(0.1)  # the stack looks at the file at most every 50 ms

    def clear(self) -> None:
        self.set()

    def injected(self) -> dict[str, int]:
        """The gateway's counts plus the broadcaster process's (its crashes)."""
        totals: dict[str, int] = {}
        for path in (self.report_path, stream_report_path(self.path)):
            try:
                counts = dict(json.loads(path.read_text()))
            except (FileNotFoundError, ValueError):
                continue
            for name, value in counts.items():
                totals[name] = totals.get(name, 0) + int(value)
        return totals


@pytest.fixture(scope="session")
def sizes() -> Sizes:
    return current_sizes()


@pytest.fixture(scope="package")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir = tmp_path_factory.mktemp("reliability")
    plan = data_dir / "faults.json"
    plan.write_text("{}")
    env = {
        "MEDIADAY_LOCAL_FAULTS": str(plan),
        # The bad-input scenario needs every one of hundreds of refusals per hostile socket
        # answered; closing a socket after N refusals is proven on its own
        # (tests/integration/messaging/test_abuse_limits.py, tests/e2e/test_access_limits.py).
        "MEDIADAY_REFUSALS_BEFORE_CLOSE": "1000000",
    }
    stack = LocalStack(data_dir, demo=False, env=env).start()
    try:
        asyncio.run(seed(stack))
        yield stack
    finally:
        if stack.running:
            stack.stop()


async def seed(stack: LocalStack) -> None:
    """The small roster every scenario works with (the demo day is much slower to seed)."""
    producer = MediaDayClient(
        stack.ws_url, token_maker(stack, "seed")("producer", None), options=fast_options()
    )
    async with producer:
        await seed_roster(producer)


@pytest.fixture
def stack(fault_stack: LocalStack, request: pytest.FixtureRequest) -> Iterator[LocalStack]:
    """The package's stack, running (restarted if a scenario left it dead), faults off,
    and quiet: the last scenario's connections released."""
    plan = FaultPlanFile(fault_stack.data_dir / "faults.json")
    plan.clear()
    if not fault_stack.running:
        fault_stack.start()
    request.node.stash[QUIET_WAIT] = wait_until_released(fault_stack)
    yield fault_stack
    plan.clear()


def wait_until_released(stack: LocalStack, timeout: float = QUIET_TIMEOUT_SECONDS) -> float:
    """Seconds until the day holds no connection (at most `timeout`), so that a scenario
    does not start while the stack still releases the last one's clients.

    On a stack held to a third of a core, 200 clients closing at once left ~160 `$disconnect`
    invocations queued when the next scenario started connecting its own, and each rerun
    of the load scenario on one stack connected slower (docs/reliability.md, "One stack,
    many scenarios"). Rows a killed emulator never released expire by TTL: not waited for
    beyond `timeout`.
    """
    started = time.monotonic()
    store = ConnectionStore(CONNECTIONS_TABLE, local_client(stack.dynamodb_endpoint))
    while store.devices(stack.media_day) and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


@pytest.fixture
def fault_plan(stack: LocalStack) -> FaultPlanFile:
    return FaultPlanFile(stack.data_dir / "faults.json")


@pytest.fixture
def figures(request: pytest.FixtureRequest, sizes: Sizes) -> Callable[..., None]:
    """`figures(**values)`: the scenario's figures, for the end-of-run summary."""

    def record(**values: Any) -> None:
        # The machine's load goes with the figures: on a shared machine it explains them.
        load = [round(value, 1) for value in os.getloadavg()]
        entry = {
            "scenario": request.node.name,
            "sizes": sizes.name,
            **values,
            "quiet_wait_s": request.node.stash.get(QUIET_WAIT, None),
            "load_average": load,
        }
        request.node.user_properties.append((FIGURES_PROPERTY, json.dumps(entry, default=str)))

    return record


def recorded_figures(terminalreporter: Any) -> list[dict[str, Any]]:
    """Every scenario's figures, from the call-phase reports of this run, in order."""
    figures = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", None) != "call":
                continue
            for name, value in getattr(report, "user_properties", ()):
                if name == FIGURES_PROPERTY:
                    figures.append({**json.loads(value), "wall_s": round(report.duration, 1)})
    return figures


def pytest_terminal_summary(terminalreporter: Any) -> None:
    figures = recorded_figures(terminalreporter)
    if not figures:
        return
    terminalreporter.section("reliability figures")
    for entry in figures:
        terminalreporter.write_line(json.dumps(entry, sort_keys=False, default=str))
    target = os.environ.get(REPORT_VAR)
    if target:
        Path(target).write_text(json.dumps(figures, indent=2, default=str))
        terminalreporter.write_line(f"written to {target}")
