"""The convergence check of the reliability suite: what every client shows is what the
coordination table holds, and no acknowledged write is missing from the table.

The table is read directly from the stack's DynamoDB Local (a strongly consistent Query of
the media day's partition), not through the service, so a bug in `subscribe`/`sync` cannot
hide itself. For each client, the expected mirror is every live (not deleted) item that one
of its topics holds (`parse_topic(topic).holds(item)`); the client's mirror must hold the
same items at the same versions, with the same content.

    reader = TableReader(lambda: stack.dynamodb_endpoint)
    report = await wait_for_convergence(clients, reader, timeout=30)
    assert missing_acks(ledger.acks, report.table) == []
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
from botocore.config import Config

from client.connection import MediaDayClient
from client.events import ConnectionState
from infra.local.layout import COORDINATION_TABLE, DEFAULT_MEDIA_DAY, REGION
from mediaday.coordination import COUNTER_ATTRIBUTE
from mediaday.models import PK, REV_COUNTER_SK, SK, Item, item_from_dynamo, media_day_pk
from mediaday.topics import parse_topic

ItemKey = tuple[str, str]


class TableReader:
    """Reads the coordination table of one media day straight from DynamoDB Local."""

    def __init__(
        self,
        endpoint: str | Callable[[], str],
        *,
        table: str = COORDINATION_TABLE,
        media_day: str = DEFAULT_MEDIA_DAY,
    ) -> None:
        # a callable, because DynamoDB Local gets a new port when the stack restarts
        self._endpoint = endpoint if callable(endpoint) else (lambda: endpoint)
        self.table = table
        self.media_day = media_day
        self._clients: dict[str, Any] = {}

    def _client(self) -> Any:
        endpoint = self._endpoint()
        if endpoint not in self._clients:
            self._clients[endpoint] = boto3.client(
                "dynamodb",
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(retries={"max_attempts": 3}, connect_timeout=2, read_timeout=10),
            )
        return self._clients[endpoint]

    def items(self) -> dict[ItemKey, Item]:
        """Every item of the media day, tombstones included."""
        paginator = self._client().get_paginator("query")
        items: dict[ItemKey, Item] = {}
        for page in paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="#pk = :pk",
            ExpressionAttributeNames={"#pk": PK},
            ExpressionAttributeValues={":pk": {"S": media_day_pk(self.media_day)}},
            ConsistentRead=True,
        ):
            for row in page.get("Items", []):
                item = item_from_dynamo(row)
                if item is not None:
                    items[(item.type, item.id)] = item
        return items

    async def read(self) -> dict[ItemKey, Item]:
        return await asyncio.to_thread(self.items)

    def rev(self) -> int:
        """The media day's change counter: one more for every committed write."""
        row = (
            self._client()
            .get_item(
                TableName=self.table,
                Key={PK: {"S": media_day_pk(self.media_day)}, SK: {"S": REV_COUNTER_SK}},
                ConsistentRead=True,
            )
            .get("Item")
        )
        return int(row[COUNTER_ATTRIBUTE]["N"]) if row else 0


# -- one client against the table -----------------------------------------------------------
def expected_view(table: Mapping[ItemKey, Item], topics: Iterable[str]) -> dict[ItemKey, Item]:
    """What a client subscribed to `topics` must show: live items one of them holds."""
    specs = [spec for spec in (parse_topic(t) for t in topics) if spec is not None]
    return {
        key: item
        for key, item in table.items()
        if not item.deleted and any(spec.holds(item) for spec in specs)
    }


def mirror_view(client: MediaDayClient) -> dict[ItemKey, Item]:
    return {(item.type, item.id): item for item in client.mirror.items()}


@dataclass
class Divergence:
    """How one client's mirror differs from the table."""

    client: str
    state: str
    missing: list[ItemKey] = field(default_factory=list)  # in the table, not shown
    extra: list[ItemKey] = field(default_factory=list)  # shown, not (or no longer) in the table
    stale: list[tuple[ItemKey, int, int]] = field(default_factory=list)  # (key, shown, table)
    different: list[ItemKey] = field(default_factory=list)  # same version, other content

    def __bool__(self) -> bool:
        return bool(
            self.missing or self.extra or self.stale or self.different or self.state != "connected"
        )

    def summary(self, limit: int = 5) -> str:
        parts = [f"{self.client} ({self.state})"]
        for name in ("missing", "extra", "stale", "different"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name} {len(values)}: {values[:limit]}")
        return " ".join(parts)


def divergence(name: str, client: MediaDayClient, table: Mapping[ItemKey, Item]) -> Divergence:
    want = expected_view(table, client.mirror.topics)
    have = mirror_view(client)
    found = Divergence(name, str(client.state))
    found.missing = sorted(want.keys() - have.keys())
    found.extra = sorted(have.keys() - want.keys())
    for key in sorted(want.keys() & have.keys()):
        if have[key].version != want[key].version:
            found.stale.append((key, have[key].version, want[key].version))
        elif have[key] != want[key]:
            found.different.append(key)
    return found


def divergences(
    clients: Mapping[str, MediaDayClient], table: Mapping[ItemKey, Item]
) -> list[Divergence]:
    return [d for name, c in clients.items() if (d := divergence(name, c, table))]


# -- acknowledged writes --------------------------------------------------------------------
class AckedWrite(Protocol):
    @property
    def key(self) -> ItemKey: ...

    @property
    def version(self) -> int: ...

    @property
    def deleted(self) -> bool: ...


def missing_acks(acks: Iterable[AckedWrite], table: Mapping[ItemKey, Item]) -> list[str]:
    """Acknowledged writes the table does not reflect (must be empty).

    Versions grow by one per committed write and each write is conditioned on the one
    before, so a table version at or above the acknowledged one means the write is in the
    item's history; a lower version (or no item) means it was lost.
    """
    problems = []
    for ack in acks:
        item = table.get(ack.key)
        if item is None:
            problems.append(f"{ack.key} v{ack.version}: not in the table")
        elif item.version < ack.version:
            problems.append(f"{ack.key} v{ack.version}: the table has v{item.version}")
        elif item.version == ack.version and item.deleted != ack.deleted:
            problems.append(f"{ack.key} v{ack.version}: deleted={item.deleted} in the table")
    return problems


# -- waiting for it -------------------------------------------------------------------------
@dataclass
class ConvergenceReport:
    seconds: float  # from the start of the wait until every client matched the table
    rounds: int
    table: dict[ItemKey, Item]
    clients: int
    items_shown: int  # summed over clients


async def wait_for_convergence(
    clients: Mapping[str, MediaDayClient] | Sequence[MediaDayClient],
    reader: TableReader,
    *,
    timeout: float,
    poll: float = 0.2,
    together: bool = True,
) -> ConvergenceReport:
    """Wait until every client is connected and shows exactly what the table holds.

    The table is read again each round, so late writes (a retried request, a restarted
    poller re-sending a batch) are taken into account. `together=False` accepts each
    client matching at its own moment (for fleets that are never all connected at once,
    as when connections are forcibly renewed every few seconds); the table must not change
    meanwhile. AssertionError after `timeout`, naming each client that still differs and how.
    """
    named = (
        dict(clients)
        if isinstance(clients, Mapping)
        else {f"client-{n}": c for n, c in enumerate(clients)}
    )
    started = time.monotonic()
    deadline = started + timeout
    rounds = 0
    matched: set[str] = set()
    first_table: dict[ItemKey, Item] | None = None
    while True:
        rounds += 1
        table = await reader.read()
        first_table = first_table if first_table is not None else table
        remaining = divergences({n: c for n, c in named.items() if n not in matched}, table)
        if not together:
            assert table == first_table, "the table changed while clients were converging"
            matched |= set(named) - {d.client for d in remaining}
        if not remaining:
            return ConvergenceReport(
                seconds=time.monotonic() - started,
                rounds=rounds,
                table=table,
                clients=len(named),
                items_shown=sum(len(c.mirror.items()) for c in named.values()),
            )
        if time.monotonic() >= deadline:
            lines = "\n  ".join(d.summary() for d in remaining[:10])
            raise AssertionError(
                f"{len(remaining)} of {len(named)} clients did not converge in {timeout:g}s "
                f"({len(table)} items in the table):\n  {lines}"
            )
        await asyncio.sleep(poll)


def connected(clients: Iterable[MediaDayClient]) -> int:
    return sum(1 for c in clients if c.state is ConnectionState.CONNECTED)
