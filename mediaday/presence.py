"""The `devices` topic: producers see every connection of their media day come and go.

Not fed by a stream: the code that learns of a change posts it at once to the topic's
subscribers (one Query of the topic, then one post each). connect announces `connected`
and `disconnected`, the broadcaster `gone` (410), the expiry sweep `expired`, and the
device actions `updated` (label) and `revoked`. A subscriber gets the day's devices as the
`subscribe` snapshot, so a lost announcement is repaired by subscribing again.

Announcing is best effort: a failed post is logged and dropped, never failing the caller.
The frame lives here, not in mediaday.protocol, so $connect does not import the whole wire
protocol for it (and the client library does not import the poster with the protocol).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mediaday.connections import Connection, ConnectionStore
from mediaday.errors import DeliveryError
from mediaday.observability import logger
from mediaday.poster import Poster

DEVICES_TOPIC = "devices"
DeviceChange = Literal["connected", "updated", "disconnected", "gone", "expired", "revoked"]


class DeviceFrame(BaseModel):
    """A change of one device, pushed to subscribers of `devices`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["device"] = "device"
    topic: Literal["devices"] = "devices"
    change: DeviceChange
    device: dict[str, Any]
    server_time: int

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()


def announce(
    connection: Connection,
    change: DeviceChange,
    *,
    store: ConnectionStore,
    poster: Poster,
    now_ms: int,
) -> int:
    """Post the change to every subscriber of the day's devices topic but the device
    itself; returns how many received it."""
    frame = DeviceFrame(change=change, device=connection.device(), server_time=now_ms).encode()
    delivered = 0
    try:
        subscribers = list(store.subscribers(connection.media_day, DEVICES_TOPIC))
    except Exception:  # presence must never fail a connect, a disconnect or a message
        logger.exception("devices topic unreadable", media_day=connection.media_day)
        return 0
    for subscriber in subscribers:
        if subscriber == connection.connection_id:
            continue
        try:
            poster.post(subscriber, frame)
            delivered += 1
        except DeliveryError as error:
            logger.info(
                "device change not delivered",
                subscriber=subscriber,
                change=change,
                code=error.code,
            )
    return delivered


class GoneAnnouncer:
    """The broadcaster's subscriber directory (the connections store) that also tells the
    devices topic when a post found a connection gone (410)."""

    def __init__(
        self, store: ConnectionStore, poster: Poster, *, clock_ms: Callable[[], int]
    ) -> None:
        self._store = store
        self._poster = poster
        self._clock_ms = clock_ms

    def subscriptions(
        self, media_day: str, topic: str, *, now: float | None = None
    ) -> Iterable[tuple[str, bool]]:
        return self._store.subscriptions(media_day, topic, now=now)

    def remove(self, connection_id: str) -> int:
        connection = self._store.get(connection_id)
        removed = self._store.remove(connection_id)
        if connection is not None:
            announce(
                connection, "gone", store=self._store, poster=self._poster, now_ms=self._clock_ms()
            )
        return removed
