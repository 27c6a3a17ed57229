"""The `devices` topic: producers see every connection of their media day come and go;
the `presence` topic: every screen sees, per station, whether its crew is online, and
whether a producer is (no device details).

Not fed by a stream: the code that learns of a change posts it at once to the topic's
subscribers (one Query of the topic, then one post each). connect announces `connected`
and `disconnected`, the broadcaster `gone` (410), the expiry sweep `expired`, and the
device actions `updated` (label) and `revoked`. A subscriber gets the day's devices as the
`subscribe` snapshot, so a lost announcement is repaired by subscribing again.

`presence` is derived from the same announcements: when a crew or producer device
arrives or leaves, the day's devices are read (one Query of `by_day`) and, only if a
marker flips (the first crew of a station, the last producer), the new summary is posted
to the topic's subscribers. The index is eventually consistent, so the device that
changed is counted in or out explicitly rather than read back. Kiosks never move a marker
and cost nothing here. Screens repair a lost summary with their heartbeat `sync`.

Announcing is best effort: a failed post is logged and dropped, never failing the caller.
The frame lives here, not in mediaday.protocol, so $connect does not import the whole wire
protocol for it (and the client library does not import the poster with the protocol).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal

from mediaday.connections import Connection, ConnectionStore
from mediaday.frame import Frame
from mediaday.models import Role
from mediaday.observability import log_failure, logger
from mediaday.poster import Poster, post_to_each

DEVICES_TOPIC = "devices"
PRESENCE_TOPIC = "presence"
DeviceChange = Literal["connected", "updated", "disconnected", "gone", "expired", "revoked"]
_MARKER_ROLES = (Role.CREW, Role.PRODUCER)


class DeviceFrame(Frame):
    """A change of one device, pushed to subscribers of `devices`."""

    type: Literal["device"] = "device"
    topic: Literal["devices"] = "devices"
    change: DeviceChange
    device: dict[str, Any]
    server_time: int


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
    try:
        subscribers = list(store.subscribers(connection.media_day, DEVICES_TOPIC))
    except Exception as error:  # presence must never fail a connect, a disconnect or a message
        log_failure("devices topic unreadable", error, media_day=connection.media_day)
        return 0
    others = [sub for sub in subscribers if sub != connection.connection_id]
    delivered = post_to_each(poster, others, frame, topic=DEVICES_TOPIC, change=change)
    _announce_markers(connection, change, store, poster, now_ms)
    return delivered


class PresenceFrame(Frame):
    """The day's online markers, pushed to subscribers of `presence` when one flips:
    `crews` are the stations with a crew connected, `producers` whether any producer is."""

    type: Literal["presence"] = "presence"
    topic: Literal["presence"] = "presence"
    producers: bool
    crews: list[str]
    server_time: int


def presence_summary(
    devices: Iterable[Connection], *, now_ms: int, counting: Connection | None = None
) -> dict[str, Any]:
    """The markers as `presence` shows them. Only live connections count (a row whose
    token ran out is about to be swept and can no longer act), and `counting`, the device
    whose arrival or departure is being weighed, whatever its state."""
    now = now_ms // 1000
    live = [d for d in devices if d.expires_at > now and d.token_expires_at > now]
    if counting is not None:
        live.append(counting)
    crews = sorted({d.station for d in live if d.role is Role.CREW and d.station is not None})
    return {"producers": any(d.role is Role.PRODUCER for d in live), "crews": crews}


def _announce_markers(
    device: Connection, change: DeviceChange, store: ConnectionStore, poster: Poster, now_ms: int
) -> int:
    """Post the new markers when this arrival or departure flips one (`announce` calls it);
    returns how many subscribers received them (0 when nothing flipped or nobody watches)."""
    if device.role not in _MARKER_ROLES or change == "updated":
        return 0
    day = device.media_day
    try:
        subscribers = list(store.subscribers(day, PRESENCE_TOPIC))
        if not subscribers:
            return 0
        others = [d for d in store.devices(day) if d.connection_id != device.connection_id]
    except Exception as error:  # presence must never fail a connect, a disconnect or a message
        log_failure("presence unreadable", error, media_day=day)
        return 0
    without = presence_summary(others, now_ms=now_ms)
    with_it = presence_summary(others, now_ms=now_ms, counting=device)
    if with_it == without:  # another device keeps the marker as it was
        return 0
    summary = with_it if change == "connected" else without
    frame = PresenceFrame(**summary, server_time=now_ms).encode()
    delivered = post_to_each(poster, subscribers, frame, topic=PRESENCE_TOPIC, change=change)
    logger.info("presence announced", media_day=day, change=change, subscribers=delivered)
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
