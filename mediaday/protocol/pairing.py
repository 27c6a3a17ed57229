"""Device pairing: a screen without a token asks for a code, a producer approves it.

`pair.start` is the one action a pending device may send (besides `ping`); the others are
producers' (messaging.authorization: not reads, not crew writes). docs/protocol.md,
"Device pairing", and docs/security.md, "Device pairing", are the prose.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from mediaday.frame import Frame
from mediaday.models import Id, Role, ShortText
from mediaday.pairing import CODE_PATTERN, normalize_code
from mediaday.protocol.base import RequestBase


def _normalized(value: Any) -> Any:
    return normalize_code(value) if isinstance(value, str) else value


# What a producer types: any case, with spaces or a dash between the halves ("abc-def").
PairingCodeText = Annotated[
    str,
    BeforeValidator(_normalized),
    StringConstraints(pattern=CODE_PATTERN),
]


class PairStart(RequestBase):
    """A pending device asks for a (new) pairing code; its previous code stops working."""

    action: Literal["pair.start"]


class PairWatch(RequestBase):
    """A producer lists the screens waiting to be paired, and hears of changes (`pairing`
    frames) for as long as the connection lives."""

    action: Literal["pair.watch"]


class PairApprove(RequestBase):
    """The screen showing `code` becomes a device of the producer's media day with this
    role, station and label; its token lives `ttl_seconds` (default and at most the role's
    maximum)."""

    action: Literal["pair.approve"]
    code: PairingCodeText
    role: Role
    station_id: Id | None = None
    label: ShortText | None = None
    ttl_seconds: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _crew_has_a_station(self) -> PairApprove:
        if self.role is Role.CREW and self.station_id is None:
            raise ValueError("a crew device needs `station_id`: the station it works at")
        return self


class PairReject(RequestBase):
    """The screen showing `code` is told no and disconnected; the code is spent."""

    action: Literal["pair.reject"]
    code: PairingCodeText


class PairedFrame(Frame):
    """Sent to the approved screen only: its token (kept by the page, never in a URL) and
    what it was paired as. The service closes the pending socket right after."""

    type: Literal["paired"] = "paired"
    token: Annotated[str, StringConstraints(min_length=1)]
    role: Role
    media_day: str
    station_id: str | None = None
    label: str | None = None
    expires_at: int  # epoch seconds: the token's expiry
    server_time: int
