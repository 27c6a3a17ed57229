"""Producers watching the screens that wait to be paired: `pairing` frames.

Like the devices topic (mediaday.presence), not a stream: whoever changes a pending device
posts the change at once to every watcher (`pair.watch`). `waiting` (a new code to show),
`paired`, `rejected` and `left` (the screen disconnected). A watcher whose socket is gone
(410) is forgotten. Best effort: a lost frame is repaired by watching again, whose answer
lists every pending device.

Outside mediaday.protocol, so `$disconnect` does not import the whole wire protocol.
"""

from __future__ import annotations

from typing import Any, Literal

from mediaday.frame import Frame
from mediaday.observability import log_failure
from mediaday.pairing import PairingStore, PendingDevice
from mediaday.poster import Poster, post_to_each

PairingChange = Literal["waiting", "paired", "rejected", "left"]


class PairingFrame(Frame):
    """A change of one pending device, pushed to producers watching."""

    type: Literal["pairing"] = "pairing"
    change: PairingChange
    device: dict[str, Any]
    server_time: int


def announce_pairing(
    device: PendingDevice,
    change: PairingChange,
    *,
    store: PairingStore,
    poster: Poster,
    now_ms: int,
) -> int:
    """Post the change to every watcher; returns how many received it. Never raises."""
    frame = PairingFrame(change=change, device=device.listed(), server_time=now_ms).encode()
    try:
        watchers = store.watchers(now=now_ms / 1000)
    except Exception as error:  # pairing news must never fail a connect, a disconnect or a message
        log_failure("pairing watchers unreadable", error)
        return 0
    return post_to_each(
        poster, watchers, frame, on_gone=lambda watcher: _forget(store, watcher), change=change
    )


def _forget(store: PairingStore, watcher: str) -> None:
    try:
        store.unwatch(watcher)
    except Exception as error:  # its row expires with the watcher's connection anyway
        log_failure("gone pairing watcher not forgotten", error, watcher=watcher)
