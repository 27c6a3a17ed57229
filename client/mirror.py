"""The client's local copy of its subscribed topics, merged by version.

Rules (docs/architecture.md, "Delivery promise"):
- an item is applied only if its `version` is newer than the one held; the same or an older
  version is ignored, so duplicates and reordering are harmless;
- the mirror shows an item iff it is not deleted and some subscribed topic holds it
  (`parse_topic(topic).holds(item)`), so a slot that moves to another station leaves a
  `station:<old>` mirror and enters a `station:<new>` one;
- each topic has a watermark, the `rev` of its last snapshot or sync answer; the resume
  point of the whole mirror is the lowest of them.

Items that are no longer shown are still remembered (with their version), so a late,
older copy cannot bring them back. A snapshot is the exact state of its topics at its rev:
a shown item that is missing from it and has not changed since was deleted or moved away
while we were not looking, and leaves the mirror.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import ValidationError

from client.events import ItemChanged
from mediaday.models import Call, Item, MediaDay, Shot, Slot, Station, Talent, parse_item
from mediaday.protocol import EventsFrame
from mediaday.topics import TopicSpec, topic_spec

__all__ = ["Mirror", "topic_spec"]  # topic_spec lives in mediaday.topics; re-exported

logger = logging.getLogger(__name__)

ItemKey = tuple[str, str]
T = TypeVar("T", bound=Item)


class Mirror:
    def __init__(self) -> None:
        self._specs: dict[str, TopicSpec] = {}
        self._known: dict[ItemKey, Item] = {}
        # items a snapshot showed absent: ignore any copy whose rev is not above this floor
        self._gone: dict[ItemKey, int] = {}
        self._topic_revs: dict[str, int] = {}

    # -- topics and watermarks -------------------------------------------------------------
    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(self._specs)

    def topic_rev(self, topic: str) -> int | None:
        return self._topic_revs.get(topic)

    @property
    def watermark(self) -> int | None:
        """Resume point: the lowest topic watermark (None until every topic has one)."""
        if not self._specs or any(t not in self._topic_revs for t in self._specs):
            return None
        return min(self._topic_revs[t] for t in self._specs)

    def add_topics(self, names: Iterable[str]) -> list[ItemChanged]:
        """Start showing what these topics hold (their snapshot fills in the rest)."""
        specs = {name: topic_spec(name) for name in names}
        return self._retopic(lambda: self._specs.update(specs))

    def remove_topics(self, names: Iterable[str]) -> list[ItemChanged]:
        """Stop showing what only these topics held."""
        gone = set(names)

        def drop() -> None:
            for name in gone:
                self._specs.pop(name, None)
                self._topic_revs.pop(name, None)

        return self._retopic(drop)

    def _retopic(self, change: Callable[[], None]) -> list[ItemChanged]:
        before = {key for key, item in self._known.items() if self._shown(item)}
        change()
        changes: list[ItemChanged] = []
        for key, item in self._known.items():
            now = self._shown(item)
            if now and key not in before:
                changes.append(ItemChanged(change="added", item=item))
            elif not now and key in before:
                changes.append(ItemChanged(change="removed", item=item, previous=item))
        return changes

    # -- merging ---------------------------------------------------------------------------
    def apply(self, raw: dict[str, Any], *, topic: str | None = None) -> ItemChanged | None:
        """Merge one item (an event's, a snapshot's or a sync's); the change it made."""
        item = _parse(raw)
        return None if item is None else self._merge(item, topic)

    def apply_events(self, frame: EventsFrame) -> list[ItemChanged]:
        """A batch of pushed changes, merged in the frame's (rev) order."""
        changes: list[ItemChanged] = []
        for change in frame.changes:
            applied = self.apply(change.item, topic=change.topics[0] if change.topics else None)
            if applied is not None:
                changes.append(applied)
        return changes

    def apply_snapshot(
        self, topics: Iterable[str], rev: int, raws: Iterable[dict[str, Any]]
    ) -> list[ItemChanged]:
        """A subscribe answer: the exact state of `topics` at `rev`."""
        names = [t for t in topics if t in self._specs]
        changes, seen = self._merge_all(raws)
        inside = [self._specs[t] for t in names]
        outside = [spec for name, spec in self._specs.items() if name not in names]
        for key, item in list(self._known.items()):
            if key in seen or item.rev > rev or not any(s.holds(item) for s in inside):
                continue
            if not item.deleted and any(s.holds(item) for s in outside):
                continue  # another topic still shows it; its own answers keep it current
            shown = self._shown(item)
            del self._known[key]
            self._gone[key] = rev
            if shown:
                changes.append(ItemChanged(change="removed", item=item, previous=item))
        for name in names:
            self._topic_revs[name] = max(rev, self._topic_revs.get(name, 0))
        return changes

    def apply_sync(
        self, topics: Iterable[str], rev: int, raws: Iterable[dict[str, Any]]
    ) -> list[ItemChanged]:
        """A sync answer: every change (tombstones included) in `topics` up to `rev`."""
        changes, _ = self._merge_all(raws)
        for name in topics:
            if name in self._specs:
                self._topic_revs[name] = max(rev, self._topic_revs.get(name, 0))
        return changes

    def _merge_all(self, raws: Iterable[dict[str, Any]]) -> tuple[list[ItemChanged], set[ItemKey]]:
        changes: list[ItemChanged] = []
        seen: set[ItemKey] = set()
        for raw in raws:
            item = _parse(raw)
            if item is None:
                continue
            seen.add((item.type, item.id))
            change = self._merge(item, None)
            if change is not None:
                changes.append(change)
        return changes, seen

    def _merge(self, item: Item, topic: str | None) -> ItemChanged | None:
        key = (item.type, item.id)
        current = self._known.get(key)
        if current is not None:
            if item.version <= current.version:
                return None
        elif item.rev <= self._gone.get(key, -1):
            return None
        was_shown = current is not None and self._shown(current)
        self._known[key] = item
        self._gone.pop(key, None)
        shown = self._shown(item)
        if shown:
            kind = "updated" if was_shown else "added"
            return ItemChanged(change=kind, item=item, previous=current, topic=topic)
        if was_shown:
            return ItemChanged(change="removed", item=item, previous=current, topic=topic)
        return None

    def _shown(self, item: Item) -> bool:
        return not item.deleted and any(spec.holds(item) for spec in self._specs.values())

    # -- views -----------------------------------------------------------------------------
    def get(self, item_type: str, item_id: str) -> Item | None:
        """The item as shown, or None when the mirror does not show it."""
        item = self._known.get((item_type, item_id))
        return item if item is not None and self._shown(item) else None

    def known(self, item_type: str, item_id: str) -> Item | None:
        """The last version seen, shown or not (tombstones included)."""
        return self._known.get((item_type, item_id))

    def items(self) -> list[Item]:
        return [item for item in self._known.values() if self._shown(item)]

    def items_of(self, kind: type[T]) -> list[T]:
        return [i for i in self._known.values() if isinstance(i, kind) and self._shown(i)]

    def day(self) -> MediaDay | None:
        days = self.items_of(MediaDay)
        return days[0] if days else None

    def stations(self) -> list[Station]:
        return sorted(self.items_of(Station), key=lambda s: (s.name.lower(), s.id))

    def talent(self) -> dict[str, Talent]:
        return {t.id: t for t in self.items_of(Talent)}

    def slots(self, station: str | None = None) -> list[Slot]:
        slots = [s for s in self.items_of(Slot) if station is None or s.station_id == station]
        return sorted(slots, key=lambda s: (s.starts_at, s.station_id, s.id))

    def shots(self, station: str | None = None) -> list[Shot]:
        shots = [s for s in self.items_of(Shot) if station is None or s.station_id == station]
        return sorted(shots, key=lambda s: (s.station_id, s.talent_id, s.position, s.id))

    def calls(self, station: str | None = None) -> list[Call]:
        calls = [c for c in self.items_of(Call) if station is None or c.station_id == station]
        return sorted(calls, key=lambda c: (c.updated_at, c.id))


def _parse(raw: dict[str, Any]) -> Item | None:
    try:
        return parse_item(raw)
    except ValidationError as error:
        logger.warning("ignored an item that does not validate: %s", error.errors()[:1])
        return None
