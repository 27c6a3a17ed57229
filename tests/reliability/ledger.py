"""The ledger of a workload: every acknowledged write (item, version, deleted) so the
convergence check can prove none is missing from the table, every conflict so a test can
prove conflicts happened and were refused rather than silently overwritten, and the
retries and refusals by cause."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from mediaday.protocol import Ack

ItemKey = tuple[str, str]


@dataclass(frozen=True)
class WriteAck:
    key: ItemKey
    version: int
    deleted: bool
    action: str
    request_id: str
    duplicate: bool
    latency: float
    writer: str
    acked_at: float  # monotonic


@dataclass
class Ledger:
    acks: list[WriteAck] = field(default_factory=list)
    conflicts: int = 0  # stale writes refused (each then re-read and retried)
    refused: Counter[str] = field(default_factory=Counter)  # final refusals, by code
    retried: Counter[str] = field(default_factory=Counter)  # same-id retries, by cause
    operations: int = 0
    gave_up: list[str] = field(default_factory=list)

    def record(self, ack: Ack, action: str, request_id: str, latency: float, writer: str) -> None:
        if ack.items is not None:  # batch, shift: one applied write per item
            for n, item in enumerate(ack.items):
                single = Ack(
                    id=ack.id,
                    action=action,
                    item=item,
                    version=item.get("version"),
                    duplicate=ack.duplicate or n in (ack.duplicates or ()),
                    server_time=ack.server_time,
                )
                self.record(single, action, f"{request_id}#{n}", latency, writer)
            return
        item = ack.item or {}
        self.acks.append(
            WriteAck(
                key=(str(item.get("type")), str(item.get("id"))),
                version=int(ack.version or item.get("version") or 0),
                deleted=bool(item.get("deleted")),
                action=action,
                request_id=request_id,
                duplicate=bool(ack.duplicate),
                latency=latency,
                writer=writer,
                acked_at=time.monotonic(),
            )
        )

    @property
    def applied(self) -> list[WriteAck]:
        """Acks of writes applied (a duplicate ack repeats an earlier one)."""
        seen: set[str] = set()
        applied = []
        for ack in self.acks:
            if ack.request_id not in seen:
                seen.add(ack.request_id)
                applied.append(ack)
        return applied

    def lost_updates(self) -> list[str]:
        """Two different requests told they wrote the same version of one item: one of the
        two writes was lost (must be empty)."""
        by_version: dict[tuple[ItemKey, int], set[str]] = defaultdict(set)
        for ack in self.acks:
            by_version[(ack.key, ack.version)].add(ack.request_id)
        return [
            f"{key} v{version}: {sorted(ids)}"
            for (key, version), ids in by_version.items()
            if len(ids) > 1
        ]

    def applied_to(self, key: ItemKey) -> int:
        return sum(1 for ack in self.applied if ack.key == key)

    def latencies(self) -> list[float]:
        return sorted(ack.latency for ack in self.acks)

    def summary(self) -> dict[str, Any]:
        latencies = self.latencies()

        def quantile(q: float) -> float:
            if not latencies:
                return 0.0
            return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1)

        return {
            "operations": self.operations,
            "acked": len(self.applied),
            "duplicate_acks": sum(1 for a in self.acks if a.duplicate),
            "conflicts_refused": self.conflicts,
            "refused": dict(self.refused),
            "same_id_retries": dict(self.retried),
            "gave_up": len(self.gave_up),
            "ack_p50_ms": quantile(0.5),
            "ack_p95_ms": quantile(0.95),
        }
