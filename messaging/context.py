"""What every action receives: its collaborators, and who is asking."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from mediaday.connections import Connection, ConnectionStore
from mediaday.coordination import CoordinationStore
from mediaday.pairing import PairingLimits, PairingStore
from mediaday.poster import Poster
from mediaday.revocations import RevocationStore
from mediaday.settings import Settings
from mediaday.tokens import KeyProvider
from messaging.ratelimit import AbuseLimits


@dataclass(frozen=True)
class Collaborators:
    """Built from the cached factories by the handler; tests pass moto stores and fakes."""

    connections: ConnectionStore
    coordination: CoordinationStore
    poster: Poster
    clock: Callable[[], float] = time.time
    rate_limit_per_minute: int = Settings.model_fields["rate_limit_per_minute"].default
    limits: AbuseLimits = field(default_factory=AbuseLimits)
    # None: no revocations are checked (unit tests of actions that do not need them).
    revocations: RevocationStore | None = None
    # Device pairing (messaging.pairing): None where it is not needed (pending devices are
    # then unknown connections, and approvals fail).
    pairing: PairingStore | None = None
    pairing_limits: PairingLimits = field(default_factory=PairingLimits)
    keys: Callable[[], KeyProvider] | None = None  # only approvals need the signing key

    def now_ms(self) -> int:
        return int(self.clock() * 1000)


@dataclass(frozen=True)
class Caller:
    """The connection a request came from (role, station, day) and the request's id."""

    connection: Connection
    request_id: str

    @property
    def media_day(self) -> str:
        return self.connection.media_day

    @property
    def actor(self) -> str:
        return self.connection.subject

    @property
    def request_key(self) -> str:
        """Stored on the item a write produces, so a retry is recognised as applied."""
        return f"{self.connection.subject}/{self.request_id}"
