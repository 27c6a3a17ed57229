"""The roster and the setup writes the scenarios share: a small seeded roster (for a stack
started without the demo day), the contested "hot" slots, and a setup write retried with
the same request id until it lands."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from client.connection import MediaDayClient
from client.errors import (
    ConflictError,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    UnauthorizedError,
)
from mediaday.backoff import Backoff
from mediaday.protocol import Ack

STATIONS = ("st-1", "st-2", "st-3", "st-4")
TALENT = ("t-1", "t-2", "t-3", "t-4", "t-5", "t-6")
HOT_PREFIX = "sl-hot-"
POISON_PREFIX = "sl-poison-"  # slots a scenario keeps to itself
BASE_TIME = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
# Answers after which the same request (same id) is sent again: lost, busy or mid-reconnect.
RETRYABLE = (RequestTimeout, ServerError, RateLimitedError, UnauthorizedError)
# Waits between those resends: 0.1 s doubling to 2 s (the window, without jitter, so a
# scenario's retries span the same time as before the shared formula).
RESEND = Backoff(base=0.1, cap=2.0)


async def request_patiently(
    client: MediaDayClient, action: str, request_id: str, *, attempts: int = 10, **fields: Any
) -> Ack:
    """A setup write that must happen: retried with the same id while the link is being
    replaced or the server is busy (the service answers a repeat as a duplicate)."""
    for attempt in range(attempts):
        try:
            return await client.request(action, request_id=request_id, **fields)
        except RETRYABLE:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(RESEND.window(attempt + 1))
    raise AssertionError("unreachable")


async def ensure_hot_slots(
    producer: MediaDayClient, stations: list[str], talent: list[str], count: int
) -> list[str]:
    """The slots everyone will fight over (created once per media day)."""
    ids = [f"{HOT_PREFIX}{n}" for n in range(count)]
    for n, slot_id in enumerate(ids):
        if producer.mirror.get("slot", slot_id) is not None:
            continue
        begins = BASE_TIME + timedelta(hours=6, minutes=15 * n)
        slot = {
            "id": slot_id,
            "station_id": stations[n % len(stations)],
            "talent_id": talent[n % len(talent)],
            "starts_at": begins.isoformat(),
            "ends_at": (begins + timedelta(minutes=12)).isoformat(),
            "title": "hot",
        }
        with contextlib.suppress(ConflictError):  # created by an earlier scenario
            await request_patiently(
                producer,
                "slot.create",
                f"hot-{slot_id}",
                slot=slot,
                allow_overlap=True,  # the workload's random slots may already book the time
            )
    return ids


async def seed_roster(producer: MediaDayClient, shots_per_station: int = 2) -> None:
    """A small roster (stations, talent, a few shots each) for a stack started without the
    demo day: a dozen writes instead of the demo's hundred and more."""
    roster: list[tuple[str, dict[str, Any]]] = [
        ("station.put", {"station": {"id": s, "name": f"Station {s}"}}) for s in STATIONS
    ]
    roster += [("talent.put", {"talent": {"id": t, "name": f"Talent {t}"}}) for t in TALENT]
    shots: list[tuple[str, dict[str, Any]]] = [
        (
            "shot.add",
            {
                "shot": {
                    "id": f"sh-{station}-{n}",
                    "station_id": station,
                    "talent_id": TALENT[n % len(TALENT)],
                    "description": f"shot {n}",
                    "position": n,
                }
            },
        )
        for station in STATIONS
        for n in range(shots_per_station)
    ]

    async def write(action: str, fields: dict[str, Any]) -> None:
        request_id = f"seed-{action}-{_seed_id(fields)}"
        with contextlib.suppress(ConflictError):  # seeded by an earlier scenario
            await request_patiently(producer, action, request_id, **fields)

    for stage in (roster, shots):  # a shot names a station and talent that must exist
        await asyncio.gather(*(write(action, fields) for action, fields in stage))


def _seed_id(fields: dict[str, Any]) -> str:
    body = next(iter(fields.values()))
    return str(body["id"])
