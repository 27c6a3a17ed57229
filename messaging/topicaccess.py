"""Which topics a connection may subscribe to, before any subscription row is written.

Every subscription is two rows in the connections table, so made-up topics were a way to
grow it without bound (40 rows a message, issue #15): a `station:`/`shots:` topic must name
a station on the day's roster, and a connection holds at most
`MEDIADAY_MAX_SUBSCRIPTIONS_PER_CONNECTION` topics.
"""

from __future__ import annotations

from collections.abc import Sequence

from mediaday.errors import InvalidRequest, NotFound
from mediaday.topics import TopicSpec
from messaging.context import Caller, Collaborators


def admit_topics(specs: Sequence[TopicSpec], caller: Caller, deps: Collaborators) -> None:
    """Refuse the subscription (nothing written) when a station topic names a station
    that is not on the roster, or when it would take the connection over its cap."""
    for station in dict.fromkeys(spec.station for spec in specs if spec.station is not None):
        found = deps.coordination.get(caller.media_day, "station", station)
        if found is None or found.deleted:
            raise NotFound(f"unknown station '{station}' in a topic: add it to the roster first")
    cap = deps.limits.subscriptions_per_connection
    held = set(deps.connections.topics_of(caller.connection.connection_id))
    wanted = held | {spec.name for spec in specs}
    if len(wanted) > cap:
        raise InvalidRequest(
            f"a connection may hold at most {cap} topics; it holds {len(held)}: "
            "unsubscribe from some first"
        )
