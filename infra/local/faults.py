"""Fault injection for the reliability suite: the faults a live event meets, on demand.

Off unless `MEDIADAY_LOCAL_FAULTS` names a JSON file, the plan. The stack re-reads the file
when it changes, so a test can start a 429 storm and end it while the stack runs:

    {
      "gone_share": 0.2,        share of connections that are gone: the first post to one
                                aborts its socket (no close frame, as a client that vanished)
                                and every post to it answers 410 GoneException
      "throttle_share": 0.3,    share of posts answered 429 LimitExceededException
      "poison_items": ["sl-9"], event frames about these item ids are refused (403) every
                                time, so their stream records always fail and the stream
                                poller dead-letters them after its bounded retries
      "crash_every": 7,         the broadcaster crashes (raises) after every 7 records it is
      "crashes": 2,             handed, at most twice per plan: the batch is retried whole
      "slow_seconds": 4.0,      a slow server: every handler invocation ($connect, messages,
                                $disconnect) holds its concurrency slot and its answer this
                                much longer, for as long as the plan says so
      "seed": 0                 picks which connections are gone and which posts throttled
    }

Gone, 429 and 403 are answered by the emulator's `@connections` endpoint, so they reach
every poster (the broadcaster's and the message Lambda's pages) exactly as API Gateway's
answers would, and the broadcaster's own retry and partial-batch logic handles them.

What was injected is counted in `<plan>.injected.json` next to the plan (the test reads it
from its own process); the broadcaster runs in a process of its own
(infra/local/broadcaster.py) and counts its crashes in `<plan>.injected-stream.json`.
Nothing here runs in AWS: only `mediaday serve` looks at the variable.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
import zlib
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

ENV_VAR = "MEDIADAY_LOCAL_FAULTS"

StreamTarget = Callable[[dict[str, Any], Any], Any]

logger = Logger(service="local-stack")


class FaultPlanError(ValueError):
    """The plan file is not a valid plan; the message says which field and why."""


class PlanSpec(BaseModel):
    """The plan file's content (every fault off by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gone_share: float = Field(default=0.0, ge=0.0, le=1.0)
    throttle_share: float = Field(default=0.0, ge=0.0, le=1.0)
    poison_items: frozenset[str] = frozenset()
    crash_every: int | None = Field(default=None, ge=1)
    crashes: int = Field(default=0, ge=0, le=1000)
    slow_seconds: float = Field(default=0.0, ge=0.0, le=25.0)  # under the 29 s integration limit
    seed: int = 0


class PostFault(StrEnum):
    GONE = "gone"  # 410, and the socket is aborted
    THROTTLE = "throttle"  # 429
    POISON = "poison"  # 403


class InjectedCrash(RuntimeError):
    """The broadcaster 'crashed' because the plan said so."""


class FaultPlan:
    """The current plan, reloaded when its file changes; thread-safe (the gateway asks
    from the event loop, the stream poller from its thread)."""

    def __init__(
        self, path: Path, *, reload_interval: float = 0.05, report_path: Path | None = None
    ) -> None:
        self.path = path
        self.report_path = report_path or path.with_name(f"{path.stem}.injected.json")
        self._reload_interval = reload_interval
        self._lock = threading.Lock()
        self._signature: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self.spec = PlanSpec()
        self._rng = random.Random(0)  # noqa: S311 (fault sampling, not secrets)
        self._records_seen = 0
        self._crashes_done = 0
        self._gone: set[str] = set()
        self.injected: dict[str, int] = {
            "gone_connections": 0,
            "gone_answers": 0,
            "throttled": 0,
            "poisoned": 0,
            "crashes": 0,
            "slowed_invocations": 0,
            "plans_loaded": 0,
        }
        self._reload(force=True)

    @classmethod
    def from_env(cls, *, report_path: Callable[[Path], Path] | None = None) -> FaultPlan | None:
        """The plan named by MEDIADAY_LOCAL_FAULTS, or None (no fault injection);
        `report_path(plan)` names the report when it is not the gateway's."""
        raw = os.environ.get(ENV_VAR)
        if not raw:
            return None
        path = Path(raw)
        return cls(path, report_path=report_path(path) if report_path else None)

    # -- the plan file ---------------------------------------------------------------------
    def _reload(self, *, force: bool = False) -> None:
        """Load the file if it changed (a missing file is the empty plan). Caller holds the
        lock, or is __init__."""
        now = time.monotonic()
        if not force and now - self._checked < self._reload_interval:
            return
        self._checked = now
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            signature = None
        else:
            signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if signature == self._signature and not force:
            return
        try:
            spec = self._read() if signature is not None else PlanSpec()
        except FaultPlanError as error:
            if force:
                raise
            logger.error("fault plan ignored: keeping the previous one", error=str(error))
            self._signature = signature
            return
        self._signature = signature
        self.spec = spec
        self._rng = random.Random(spec.seed)  # noqa: S311
        self._records_seen = 0
        self._crashes_done = 0
        self.injected["plans_loaded"] += 1
        logger.warning("fault plan loaded", path=str(self.path), plan=spec.model_dump(mode="json"))

    def _read(self) -> PlanSpec:
        try:
            return PlanSpec.model_validate(json.loads(self.path.read_text() or "{}"))
        except (ValueError, ValidationError) as error:
            raise FaultPlanError(f"{self.path}: not a fault plan: {error}") from None

    def _count(self, name: str) -> None:
        """Count one injected fault and publish the totals. Caller holds the lock."""
        self.injected[name] += 1
        temporary = self.report_path.with_name(f"{self.report_path.name}.tmp")
        temporary.write_text(json.dumps(self.injected))
        os.replace(temporary, self.report_path)

    # -- @connections ----------------------------------------------------------------------
    def for_post(self, connection_id: str, data: bytes) -> PostFault | None:
        """The fault to answer this POST @connections with, if any."""
        with self._lock:
            self._reload()
            spec = self.spec
            if spec.poison_items and _event_item_id(data, spec.poison_items) is not None:
                self._count("poisoned")
                return PostFault.POISON
            if connection_id in self._gone or self._is_gone(connection_id, spec):
                if connection_id not in self._gone:
                    self._gone.add(connection_id)
                    self._count("gone_connections")
                self._count("gone_answers")
                return PostFault.GONE
            if spec.throttle_share and self._rng.random() < spec.throttle_share:
                self._count("throttled")
                return PostFault.THROTTLE
            return None

    @staticmethod
    def _is_gone(connection_id: str, spec: PlanSpec) -> bool:
        if not spec.gone_share:
            return False
        draw = zlib.crc32(f"{spec.seed}:{connection_id}".encode()) / 2**32
        return draw < spec.gone_share

    # -- handler invocations --------------------------------------------------------------
    def handler_delay(self) -> float:
        """Seconds to hold this handler invocation's answer (0: not slowed)."""
        with self._lock:
            self._reload()
            delay = self.spec.slow_seconds
            if delay:
                self._count("slowed_invocations")
            return delay

    # -- the broadcaster ------------------------------------------------------------------
    def wrap_stream_target(self, target: StreamTarget) -> StreamTarget:
        """The stream target, crashing where the plan says (after every `crash_every`
        records handed to it, at most `crashes` times per plan)."""

        def invoke(event: dict[str, Any], context: Any) -> Any:
            records = list(event.get("Records") or [])
            cut = self._crash_cut(len(records))
            if cut is None:
                return target(event, context)
            if cut:
                target({**event, "Records": records[:cut]}, context)
            raise InjectedCrash(f"injected broadcaster crash after {cut} of {len(records)} records")

        return invoke

    def _crash_cut(self, batch_size: int) -> int | None:
        """How many records of this batch to handle before crashing; None: no crash."""
        with self._lock:
            self._reload()
            spec = self.spec
            if spec.crash_every is None or self._crashes_done >= spec.crashes:
                self._records_seen += batch_size
                return None
            crash_at = (self._crashes_done + 1) * spec.crash_every
            if self._records_seen + batch_size < crash_at:
                self._records_seen += batch_size
                return None
            cut = crash_at - self._records_seen
            self._records_seen = crash_at
            self._crashes_done += 1
            self._count("crashes")
            return cut


def _event_item_id(data: bytes, item_ids: frozenset[str]) -> str | None:
    """The item id of an event (or `events`) frame about one of `item_ids`, else None."""
    if not any(item_id.encode() in data for item_id in item_ids):
        return None  # cheap test first: most posts are about other items
    try:
        frame = json.loads(data)
    except ValueError:
        return None
    if not isinstance(frame, dict):
        return None
    if frame.get("type") == "events":  # a batch: poisoned if any of its changes is
        changes = frame.get("changes")
        entries: list[Any] = changes if isinstance(changes, list) else []
        found = [c.get("item_id") for c in entries if isinstance(c, dict)]
        return next((i for i in found if isinstance(i, str) and i in item_ids), None)
    if frame.get("type") != "event":
        return None
    item_id = frame.get("item_id")
    return item_id if isinstance(item_id, str) and item_id in item_ids else None


def stream_report_path(plan: Path) -> Path:
    """Where the broadcaster's process counts the faults it injected."""
    return plan.with_name(f"{plan.stem}.injected-stream.json")
