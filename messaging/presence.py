"""The presence topics inside `subscribe` and `sync`: `devices` (producers only, its
snapshot the day's devices) and `presence` (every role, the day's online markers).

Their live changes are posted by whoever learns of them (mediaday.presence); here is only
what a read needs: the refusal for other roles (before anything is written) and the
current state, one Query of the connections table's `by_day` index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mediaday.errors import Forbidden
from mediaday.models import Role
from mediaday.presence import DEVICES_TOPIC, PRESENCE_TOPIC, presence_summary
from messaging.context import Caller, Collaborators


def require_devices_access(caller: Caller, topics: Iterable[str]) -> None:
    """Only producers may watch the devices topic."""
    if DEVICES_TOPIC in topics and caller.connection.role is not Role.PRODUCER:
        raise Forbidden(f"a {caller.connection.role.value} connection may not watch devices")


def device_snapshot(caller: Caller, deps: Collaborators) -> list[dict[str, Any]]:
    """The day's connections as the devices topic shows them, oldest first."""
    return [connection.device() for connection in deps.connections.devices(caller.media_day)]


def presence_items(
    topics: Iterable[str], caller: Caller, deps: Collaborators
) -> list[dict[str, Any]]:
    """The markers as one item (`type: presence`) when `presence` is among the topics:
    the snapshot of the topic, and what a heartbeat `sync` of it repairs. The caller is
    counted even if the index has not caught up with its own connection yet."""
    if PRESENCE_TOPIC not in topics:
        return []
    others = [
        device
        for device in deps.connections.devices(caller.media_day)
        if device.connection_id != caller.connection.connection_id
    ]
    summary = presence_summary(others, now_ms=deps.now_ms(), counting=caller.connection)
    return [{"type": "presence", **summary}]


def topic_snapshot(topic: str, caller: Caller, deps: Collaborators) -> list[dict[str, Any]]:
    """The snapshot of a topic that holds no coordination items (empty for the others)."""
    if topic == DEVICES_TOPIC:
        return device_snapshot(caller, deps)
    return presence_items([topic], caller, deps)
