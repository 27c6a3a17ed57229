"""Writing a planned spreadsheet import (`client.import_plan`) to the server.

Writing goes through `batch` (`apply_plans`): the first step of every row, in as few
batches as the transaction and frame limits allow, then the second steps with the
versions the first ones returned. Each batch is all or nothing. Every write's request id
is derived from the row, the same as when rows are sent one by one (`batched=False`, what
the benchmark compares with), so a re-run after a crash, batched or not, finds its
earlier writes acknowledged as duplicates or sees the rows as unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from client.connection import MediaDayClient
from client.csvio import RowError, request_id
from client.errors import (
    RateLimitedError,
    RequestFailed,
    RequestTimeout,
    ServerError,
)
from client.import_plan import RowPlan
from mediaday.backoff import Backoff
from mediaday.protocol import MAX_BATCH_WRITES, Ack, encoded_size
from mediaday.settings import API_GATEWAY_MAX_FRAME_BYTES

_MAX_ATTEMPTS = 6
# A busy or silent server: retry the same id after 0-0.4 s, 0-0.8 s, ... at most 5 s.
_RETRY_BACKOFF = Backoff(base=0.4, cap=5.0)

# One batch is one DynamoDB transaction (99 writes with the rev counter) and must fit one
# WebSocket frame of API Gateway's (32 KB): the client sends a message as one frame.
_MAX_BATCH_BYTES = API_GATEWAY_MAX_FRAME_BYTES - 2048
# A refused batch says which write: "writes[3] slot.update: stale version 2: ..."
_BATCH_LINE = re.compile(r"^writes\[(\d+)\] [a-z_.]+: ")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[RowError] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


async def apply_plans(
    client: MediaDayClient,
    plans: Sequence[RowPlan],
    *,
    batched: bool = True,
    allow_overlap: bool = False,
    concurrency: int = 8,
    on_row_done: Callable[[RowPlan], None] | None = None,
    rng: random.Random | None = None,
) -> ImportResult:
    """Write every plan: in batches (all or nothing each), or row by row with `concurrency`
    rows in flight. Stops at the first refusal, reported by line."""
    jitter = rng or random.Random()  # noqa: S311 (jitter, not secrets)
    if batched:
        return await _apply_batched(client, plans, allow_overlap, on_row_done, jitter)
    return await _apply_rows(
        client,
        plans,
        allow_overlap=allow_overlap,
        concurrency=concurrency,
        on_row_done=on_row_done,
        jitter=jitter,
    )


@dataclass
class _RowState:
    item_id: str | None
    version: int | None
    wrote: bool = False
    done: int = 0  # steps acknowledged


async def _apply_batched(
    client: MediaDayClient,
    plans: Sequence[RowPlan],
    allow_overlap: bool,
    on_row_done: Callable[[RowPlan], None] | None,
    rng: random.Random,
) -> ImportResult:
    result = ImportResult()
    states = [_RowState(plan.item_id, plan.version) for plan in plans]
    depth = max((len(plan.steps) for plan in plans), default=0)
    for number in range(depth):
        entries = [
            (index, _entry(plan, number, states[index], allow_overlap))
            for index, plan in sorted(enumerate(plans), key=_booking_order)
            if len(plan.steps) > number
        ]
        for chunk in _chunks(entries):
            writes = [entry for _, entry in chunk]
            digest = hashlib.sha256("/".join(str(w["id"]) for w in writes).encode())
            try:
                sent = await _send(
                    client, "batch", f"csvb-{digest.hexdigest()[:40]}", {"writes": writes}, rng
                )
            except (RequestFailed, RequestTimeout) as error:
                result.failures.append(RowError(_failed_line(error, chunk, plans), _said(error)))
                _count(result, plans, states)
                return result
            duplicates = set() if sent.resent else set(sent.ack.duplicates or ())
            items = sent.ack.items or []
            for position, ((index, _), item) in enumerate(zip(chunk, items, strict=True)):
                state = states[index]
                state.item_id, state.version = str(item["id"]), int(item["version"])
                state.wrote = state.wrote or position not in duplicates
                state.done = number + 1
                if on_row_done is not None and len(plans[index].steps) == number + 1:
                    on_row_done(plans[index])
    _count(result, plans, states)
    return result


def _booking_order(indexed: tuple[int, RowPlan]) -> tuple[str, int]:
    """Rows of one athlete side by side: the server checks double-booking with one Query
    per athlete a batch books, so a batch of 99 rows sorted by athlete costs ~10 Queries
    where a spreadsheet in station order costs ~50 (each batch is all or nothing either
    way; a refusal still names its row's line)."""
    index, plan = indexed
    return plan.talent_id, index


def _entry(plan: RowPlan, number: int, state: _RowState, allow_overlap: bool) -> dict[str, Any]:
    """Step `number` of the row as a batch write, with the request id sending it alone
    would have had (so batched and row-by-row runs recognise each other's writes)."""
    step = plan.steps[number]
    fields = dict(step.fields)
    if step.edits_item:
        fields[f"{plan.item_type}_id"] = state.item_id
        fields["version"] = state.version
    if allow_overlap and step.action.startswith("slot."):
        fields["allow_overlap"] = True
    rid = request_id(plan.key, f"{number}:{step.action}:v{state.version}")
    return {"action": step.action, "id": rid, **fields}


def _chunks(
    entries: list[tuple[int, dict[str, Any]]],
) -> list[list[tuple[int, dict[str, Any]]]]:
    """Runs of at most MAX_BATCH_WRITES writes whose request fits one frame."""
    chunks: list[list[tuple[int, dict[str, Any]]]] = []
    size = 0
    for entry in entries:
        entry_size = encoded_size(entry[1]) + 1
        if (
            not chunks
            or len(chunks[-1]) >= MAX_BATCH_WRITES
            or size + entry_size > _MAX_BATCH_BYTES
        ):
            chunks.append([])
            size = 0
        chunks[-1].append(entry)
        size += entry_size
    return chunks


def _failed_line(
    error: RequestFailed | RequestTimeout,
    chunk: list[tuple[int, dict[str, Any]]],
    plans: Sequence[RowPlan],
) -> int:
    """The row a refused batch points at (`writes[3] ...`), else its first row."""
    match = _BATCH_LINE.match(getattr(error, "message", "") or "")
    position = int(match.group(1)) if match and int(match.group(1)) < len(chunk) else 0
    return plans[chunk[position][0]].line


def _said(error: RequestFailed | RequestTimeout) -> str:
    message = _BATCH_LINE.sub("", error.message)
    return f"{error.code}: {message}"


def _count(result: ImportResult, plans: Sequence[RowPlan], states: Sequence[_RowState]) -> None:
    """Rows whose every step was acknowledged (those of the batches before a refused one
    included); the others are not (completely) written: a re-run picks them up."""
    for plan, state in zip(plans, states, strict=True):
        if state.done == len(plan.steps):
            _tally(result, plan, state.wrote)


def _tally(result: ImportResult, plan: RowPlan, wrote: bool) -> None:
    """A row written this time counts as its plan says; one with nothing written (unchanged,
    or every write already applied by an earlier run) as unchanged."""
    if not wrote:
        result.unchanged += 1
    elif plan.outcome == "create":
        result.created += 1
    else:
        result.updated += 1


async def _apply_rows(
    client: MediaDayClient,
    plans: Sequence[RowPlan],
    *,
    allow_overlap: bool,
    concurrency: int,
    on_row_done: Callable[[RowPlan], None] | None,
    jitter: random.Random,
) -> ImportResult:
    result = ImportResult()
    gate = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()

    async def run(plan: RowPlan) -> None:
        async with gate:
            if stop.is_set():
                return
            try:
                wrote = await _apply_row(client, plan, jitter, allow_overlap)
            except (RequestFailed, RequestTimeout) as error:
                stop.set()
                result.failures.append(RowError(plan.line, f"{error.code}: {error.message}"))
                return
            _tally(result, plan, wrote)
            if on_row_done is not None:
                on_row_done(plan)

    await asyncio.gather(*(run(plan) for plan in plans))
    result.failures.sort(key=lambda failure: failure.line)
    return result


async def _apply_row(
    client: MediaDayClient, plan: RowPlan, rng: random.Random, allow_overlap: bool
) -> bool:
    """Send the row's steps in order; whether anything was written this time."""
    wrote = False
    state = _RowState(plan.item_id, plan.version)
    for number in range(len(plan.steps)):
        fields = _entry(plan, number, state, allow_overlap)
        action, rid = fields.pop("action"), fields.pop("id")
        sent = await _send(client, action, rid, fields, rng)
        ack = sent.ack
        wrote = wrote or not ack.duplicate or sent.resent
        if ack.item is not None:
            state.item_id = str(ack.item["id"])
            state.version = ack.version or ack.item.get("version")
    return wrote


def rate_limit_pause(server_time: float, rng: random.Random) -> float:
    """Seconds until the server's next minute (the rate limit counts per fixed minute),
    plus a little jitter so the rows in flight do not all come back at once."""
    return 60.0 - server_time % 60.0 + rng.uniform(0.0, 1.0)


@dataclass(frozen=True)
class _Sent:
    ack: Ack
    # The request went out more than once (the client's own resends included), so a
    # "duplicate" in its ack may be this run's own earlier send: counted as written.
    resent: bool


async def _send(
    client: MediaDayClient, action: str, rid: str, fields: dict[str, Any], rng: random.Random
) -> _Sent:
    """One request, retried with the same id while the failure is temporary."""
    sends = 0
    for attempt in range(1, _MAX_ATTEMPTS + 1):
        try:
            answered = await client.write(action, request_id=rid, **fields)
            return _Sent(answered.ack, resent=sends + answered.sends > 1)
        except RateLimitedError:
            if attempt == _MAX_ATTEMPTS:
                raise
            await asyncio.sleep(rate_limit_pause(client.server_time(), rng))
        except (ServerError, RequestTimeout):
            if attempt == _MAX_ATTEMPTS:
                raise
            sends += 1
            await asyncio.sleep(_RETRY_BACKOFF.delay(attempt, rng.uniform))
    raise AssertionError("unreachable")  # pragma: no cover
