"""Who may do what. Role and station come from the connection record, never the message.

- producer: every action;
- crew: reads, and `shot.set_status` / `call.ack` / `slot.arrive` / `slot.done` on items
  of its own station;
- kiosk: reads only.

Every role may read every topic: the schedule, calls and shot lists are shown on shared
screens at the venue anyway, and a crew needs the whole schedule to see what comes next.
"""

from __future__ import annotations

from mediaday.connections import Connection
from mediaday.errors import Forbidden
from mediaday.models import Role
from mediaday.protocol import READ_ACTIONS

CREW_WRITES = frozenset({"shot.set_status", "call.ack", "slot.arrive", "slot.done"})


def authorize_action(connection: Connection, action: str) -> None:
    """Refuse actions the connection's role may never do (before anything is read)."""
    if action in READ_ACTIONS or connection.role is Role.PRODUCER:
        return
    if connection.role is Role.CREW and action in CREW_WRITES:
        return
    raise Forbidden(f"a {connection.role.value} connection may not {action}")


def authorize_station(connection: Connection, action: str, station_id: str | None) -> None:
    """Crews act only on items of their own station; producers on any."""
    if connection.role is Role.PRODUCER:
        return
    if connection.role is Role.CREW and station_id and connection.station == station_id:
        return
    raise Forbidden(
        f"{action} is limited to your own station ({connection.station or 'none'}); "
        f"this item belongs to {station_id or 'no station'}"
    )
