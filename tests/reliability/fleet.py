"""A fleet of real clients (the Python client library) of every role, and what they saw.

Producers watch everything, crews their station's slots, calls and shot list, kiosks the
schedule and the calls. Every client runs the library's own reconnect, heartbeat, periodic
sync and renewal, with timings scaled down so a test sees many of them in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from client.connection import MediaDayClient
from client.events import ClientEvent, ConnectionState, ItemChanged, StateChanged
from client.options import ClientOptions
from infra.local.layout import key_file
from infra.local.runner import LocalStack
from mediaday.keys import FileKeyProvider
from mediaday.models import Role
from mediaday.tokens import issue_token
from tests.support.client_options import FLEET

TokenFor = Callable[[str, str | None], str]
T = TypeVar("T")


def fast_options(**overrides: object) -> ClientOptions:
    """The library's behaviour at test speed (tests/support/client_options.py's FLEET)."""
    return replace(FLEET, **overrides)  # type: ignore[arg-type]


# Fault scenarios: a dead link noticed in seconds, retries spread over 0.25-2 s windows.
PONG_TIMEOUT = 1.5
REQUEST_TIMEOUT = 8.0
BACKOFF = FLEET.backoff


def fault_options(clients: int, **overrides: object) -> ClientOptions:
    """Heartbeats fast enough to notice a dead link or a lost event in seconds (each costs
    the stack a DynamoDB write, so a bigger fleet beats a little slower)."""
    mean = max(1.0, clients / 20)
    values: dict[str, object] = {
        "heartbeat": (0.75 * mean, 1.25 * mean),
        "pong_timeout": PONG_TIMEOUT,
        "request_timeout": REQUEST_TIMEOUT,
        "backoff": BACKOFF,
    }
    values.update(overrides)
    return fast_options(**values)


def heartbeat_for(clients: int) -> tuple[float, float]:
    """Heartbeats spread so the whole fleet sends about ten a second: each ping and sync
    is a write to DynamoDB Local (the rate-limit counter), which takes ~150 writes a second."""
    mean = max(2.0, clients / 5)
    return (0.75 * mean, 1.25 * mean)


def topics_for(role: str, station: str | None, stations: Iterable[str]) -> list[str]:
    if role == "producer":
        return ["roster", "schedule", "calls", *(f"shots:{s}" for s in stations)]
    if role == "crew":
        return ["roster", f"station:{station}", f"shots:{station}"]
    return ["roster", "schedule", "calls"]


@dataclass
class Watch:
    """What one client went through: its state changes and how changes reached it."""

    states: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    retry_delays: list[tuple[int, float]] = field(default_factory=list)  # (attempt, delay)
    via_event: Counter[str] = field(default_factory=Counter)  # item id -> changes by event
    via_resync: Counter[str] = field(default_factory=Counter)  # ... by snapshot or sync
    # (item id, version) -> when its event arrived (monotonic), for delivery latency
    event_at: dict[tuple[str, int], float] = field(default_factory=dict)

    def __call__(self, event: ClientEvent) -> None:
        if isinstance(event, StateChanged):
            self.states[str(event.state)] += 1
            if event.state is ConnectionState.RECONNECTING:
                self.reasons[_reason_kind(event.reason)] += 1
                if event.retry_in is not None:
                    self.retry_delays.append((event.attempt, event.retry_in))
        elif isinstance(event, ItemChanged):
            if event.topic is not None:
                self.via_event[event.item.id] += 1
                self.event_at.setdefault((event.item.id, event.item.version), time.monotonic())
            else:
                self.via_resync[event.item.id] += 1


def _reason_kind(reason: str) -> str:
    """Reasons without their variable parts, for counting."""
    if reason.startswith("no pong"):
        return "no pong"
    if reason.startswith("cannot reach") or "answered HTTP" in reason:
        return "unreachable"
    if reason.startswith("closed ("):
        return reason.split(")", maxsplit=1)[0] + ")"
    return reason or "link lost"


@dataclass
class Member:
    name: str
    role: str
    station: str | None
    client: MediaDayClient
    watch: Watch


class Fleet:
    """Clients of a stack, connected and closed together."""

    def __init__(
        self,
        url: str,
        token_for: TokenFor,
        stations: list[str],
        *,
        options: ClientOptions | None = None,
        seed: int = 0,
    ) -> None:
        self.url = url
        self.token_for = token_for
        self.stations = stations
        self.options = options or fast_options()
        self.rng = random.Random(seed)
        self.members: list[Member] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def add(
        self,
        role: str,
        station: str | None = None,
        *,
        options: ClientOptions | None = None,
        url: str | None = None,
    ) -> Member:
        name = f"{role}-{len(self.members)}" + (f"@{station}" if station else "")
        client = MediaDayClient(
            url or self.url,
            self.token_for(role, station),
            topics=topics_for(role, station, self.stations),
            options=options or self.options,
            rng=random.Random(self.rng.random()),
        )
        watch = Watch()
        client.add_listener(watch)
        member = Member(name, role, station, client, watch)
        self.members.append(member)
        return member

    def populate(self, total: int, producers: int) -> None:
        """`producers` producers, then crews and kiosks about half and half, crews spread
        over the stations."""
        for _ in range(producers):
            self.add("producer")
        rest = max(0, total - producers)
        for n in range(rest):
            if n % 2 == 0:
                self.add("crew", self.stations[(n // 2) % len(self.stations)])
            else:
                self.add("kiosk")

    async def connect(self, members: Iterable[Member] | None = None, parallel: int = 25) -> None:
        """Connect (each returns once its snapshots are applied), `parallel` at a time."""
        gate = asyncio.Semaphore(parallel)

        async def one(member: Member) -> None:
            async with gate:
                await member.client.connect()

        await asyncio.gather(*(one(m) for m in (members or self.members)))

    def background(self, work: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run `work` alongside the test; cancelled (if still running) when the fleet
        closes, so a failing test leaves nothing behind."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.gather(*(m.client.close() for m in self.members), return_exceptions=True)

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- views ----------------------------------------------------------------------------
    @property
    def clients(self) -> dict[str, MediaDayClient]:
        return {m.name: m.client for m in self.members}

    def of_role(self, role: str) -> list[Member]:
        return [m for m in self.members if m.role == role]

    @property
    def reconnects(self) -> int:
        return sum(m.client.reconnects for m in self.members)

    @property
    def renewals(self) -> int:
        return sum(m.client.renewals for m in self.members)

    def reasons(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for member in self.members:
            total.update(member.watch.reasons)
        return total

    def composition(self) -> dict[str, int]:
        return dict(Counter(m.role for m in self.members))


def token_maker(stack: LocalStack, subject_prefix: str = "rel") -> TokenFor:
    """Tokens signed with the stack's key; each client gets a subject of its own."""
    key = FileKeyProvider(key_file(stack.data_dir)).current_key()
    numbers = itertools.count(1)

    def token_for(role: str, station: str | None) -> str:
        subject = "-".join(filter(None, [subject_prefix, role, station, str(next(numbers))]))
        return issue_token(
            key,
            role=Role(role),
            media_day=stack.media_day,
            subject=subject,
            station=station,
            ttl_seconds=6 * 3600,
        )

    return token_for


async def until_shown(
    clients: Iterable[MediaDayClient], keys: Iterable[tuple[str, str]], within: float
) -> None:
    """Wait until every client shows every one of these items."""
    wanted = list(keys)
    for client in clients:

        def shown(c: MediaDayClient = client) -> bool:
            return all(c.mirror.get(kind, item_id) is not None for kind, item_id in wanted)

        await client.wait_until(shown, within)
