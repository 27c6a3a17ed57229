"""Who the fake server admits and what it holds at the start: tokens shaped like the real
ones, the callers they stand for, a small roster and one slot."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

MEDIA_DAY = "cbtc-2026"


@dataclass(frozen=True)
class Caller:
    subject: str
    role: str
    station: str | None = None


def make_token(role: str, subject: str, station: str | None = None) -> str:
    """A token shaped like the real ones (claims readable), with a fake signature: the fake
    server admits it by exact match, the CLI reads its station claim."""
    claims = {"role": role, "md": MEDIA_DAY, "sub": subject, "iat": 0, "exp": 2**31, "kid": "k"}
    if station:
        claims["st"] = station
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"mdl1.{payload}.fake-signature"


PRODUCER_TOKEN = make_token("producer", "producer")
CREW_TOKEN = make_token("crew", "crew-st-1", "st-1")
KIOSK_TOKEN = make_token("kiosk", "kiosk")


def known_tokens() -> dict[str, Caller]:
    """The three tokens the fake server admits, and who each one is."""
    return {
        PRODUCER_TOKEN: Caller("producer", "producer"),
        CREW_TOKEN: Caller("crew-st-1", "crew", "st-1"),
        KIOSK_TOKEN: Caller("kiosk", "kiosk"),
    }


def roster() -> list[dict[str, Any]]:
    """A small media day: two stations, three talent."""
    return [
        {"type": "day", "id": MEDIA_DAY, "name": "CBTC Media Day 2026", "timezone": "UTC"},
        {"type": "station", "id": "st-1", "name": "Interview Room 1", "kind": "interview"},
        {"type": "station", "id": "st-2", "name": "Photo Booth", "kind": "photo"},
        {"type": "talent", "id": "t-12", "name": "Jane Doe", "number": "12", "team": "Blue"},
        {"type": "talent", "id": "t-7", "name": "John Roe", "number": "7", "team": "Red"},
        {"type": "talent", "id": "t-3", "name": "Ada Poe", "number": "3", "team": "Blue"},
    ]


# One slot of station st-1, for tests that need an item to change, move or lose.
SLOT = {
    "type": "slot",
    "id": "sl-1",
    "station_id": "st-1",
    "talent_id": "t-12",
    "starts_at": "2026-05-04T09:00:00Z",
    "ends_at": "2026-05-04T09:15:00Z",
}
