"""The `devices` topic inside `subscribe`: producers only, its snapshot the day's devices.

Its live changes are posted by whoever learns of them (mediaday.presence); here is only
what a subscription needs: the refusal for other roles (before anything is written) and
the snapshot, one Query of the connections table's `by_day` index.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mediaday.errors import Forbidden
from mediaday.models import Role
from mediaday.presence import DEVICES_TOPIC
from messaging.context import Caller, Collaborators


def require_devices_access(caller: Caller, topics: Iterable[str]) -> None:
    """Only producers may watch the devices topic."""
    if DEVICES_TOPIC in topics and caller.connection.role is not Role.PRODUCER:
        raise Forbidden(f"a {caller.connection.role.value} connection may not watch devices")


def device_snapshot(caller: Caller, deps: Collaborators) -> list[dict[str, Any]]:
    """The day's connections as the devices topic shows them, oldest first."""
    return [connection.device() for connection in deps.connections.devices(caller.media_day)]
