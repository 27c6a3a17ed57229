"""Which topics an item belongs to, and which items a topic holds.

Topics a client may subscribe to:
- ``roster``            the media day, its stations and talent
- ``schedule``          every slot
- ``calls``             every interview call
- ``notices``           every notice (screens show those aimed at all or at their station)
- ``devices``           producers only: every connection of the day (mediaday.presence)
- ``presence``          every role: per station whether its crew is online, and whether a
                        producer is (mediaday.presence)
- ``station:<id>``      the slots and calls of one station
- ``shots:<id>``        the shot list of one station
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mediaday.models import ID_PATTERN, Item

_STATIC_TOPICS: dict[str, tuple[str, ...]] = {
    "roster": ("day", "station", "talent"),
    "schedule": ("slot",),
    "calls": ("call",),
    "notices": ("notice",),
    # No items: its snapshot is the day's connections, its changes DeviceFrames.
    "devices": (),
    "presence": (),
}
_STATION_TOPICS: dict[str, tuple[str, ...]] = {
    "station": ("slot", "call"),
    "shots": ("shot",),
}
_STATION_TOPIC = re.compile(r"^(station|shots):(" + ID_PATTERN.strip("^$") + r")$")
_TOPIC_NAMES = [*_STATIC_TOPICS, *(f"{kind}:<id>" for kind in _STATION_TOPICS)]
# The one wording of "which topics are there", for the server's refusals and the client's.
TOPIC_HELP = f"topics are {', '.join(_TOPIC_NAMES[:-1])} and {_TOPIC_NAMES[-1]}"


class UnknownTopic(ValueError):
    """A name that is not a topic; the message says which topics there are."""

    def __init__(self, name: str) -> None:
        super().__init__(f"not a topic: {name!r} ({TOPIC_HELP})")
        self.name = name


@dataclass(frozen=True)
class TopicSpec:
    """What a topic selects: items of these types, of one station if `station` is set."""

    name: str
    item_types: tuple[str, ...]
    station: str | None = None

    def holds(self, item: Item) -> bool:
        if item.type not in self.item_types:
            return False
        return self.station is None or getattr(item, "station_id", None) == self.station


def parse_topic(name: str) -> TopicSpec | None:
    """The topic's selection, or None when the name is not a topic."""
    if name in _STATIC_TOPICS:
        return TopicSpec(name, _STATIC_TOPICS[name])
    match = _STATION_TOPIC.match(name)
    if match is None:
        return None
    return TopicSpec(name, _STATION_TOPICS[match.group(1)], match.group(2))


def topic_spec(name: str) -> TopicSpec:
    """The topic's selection; UnknownTopic (a ValueError) when the name is not a topic."""
    spec = parse_topic(name)
    if spec is None:
        raise UnknownTopic(name)
    return spec


def topic_specs(names: Iterable[str]) -> list[TopicSpec]:
    """The topics' selections in order, duplicates dropped; UnknownTopic at the first
    name that is not a topic."""
    return [topic_spec(name) for name in dict.fromkeys(names)]


def topics_of(item: Item) -> set[str]:
    """Every topic a change of this item must reach."""
    topics = {name for name, types in _STATIC_TOPICS.items() if item.type in types}
    station = getattr(item, "station_id", None)
    if station is not None:
        topics.update(
            f"{kind}:{station}" for kind, types in _STATION_TOPICS.items() if item.type in types
        )
    return topics
