"""What each connection receives for one stream batch: the frames, encoded once, in order.

A connection that subscribed with `events="batched"` gets ONE `events` frame carrying every
change of the batch that concerns it, in rev order, each change once with every matching
topic named. The frame is split only to stay within the message budget: API Gateway's
128 KB (131,072 bytes) per message, envelope included. A change alone always fits (item
fields are bounded; one that does not is undeliverable and skipped earlier).

A v1 subscription (the default) keeps protocol v1: one `event` frame per (change, topic).

Encoding is the cost that grows with a burst, so each change is encoded once per topic set
and each distinct frame once per batch: a thousand screens of one topic share the bytes.
The fragments are joined exactly as `EventsFrame.encode()` would write them (a test checks
it), so the frame is still the protocol model's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from broadcast.records import Change
from mediaday.protocol import EventChange
from mediaday.settings import API_GATEWAY_MAX_MESSAGE_BYTES

# (connection id, batched) for one (media day, topic): the directory's subscriptions.
Subscriptions = Callable[[str, str], Sequence[tuple[str, bool]]]

_PREFIX = b'{"type":"events","changes":['


@dataclass(frozen=True)
class Outgoing:
    """One message to one connection, and the earliest change (its index in the batch) it
    carries: if it cannot be delivered, that change and every later one are retried.
    An `events` frame keeps its parts, so a refused one can be re-sent change by change."""

    data: bytes
    first: int
    changes: int = 1
    parts: tuple[tuple[int, bytes], ...] = ()
    tail: bytes = b""

    def one_by_one(self) -> list[Outgoing]:
        """The same changes as one `events` frame each (after a refusal: it names the
        change that is refused, and the ones before it are still delivered)."""
        return [
            Outgoing(_PREFIX + fragment + self.tail, index, 1, ((index, fragment),), self.tail)
            for index, fragment in self.parts
        ]


def suffix(server_time: int) -> bytes:
    return b'],"server_time":' + str(server_time).encode() + b"}"


def change_fragment(change: Change, topics: Sequence[str]) -> bytes:
    """One change as an element of an `events` frame's `changes`."""
    return EventChange(topics=list(topics), **change.wire_fields()).encode()


def largest_message(change: Change, server_time: int) -> int:
    """Bytes of the largest message that carries this change alone (either protocol)."""
    single = max(len(change.frame(topic, server_time).encode()) for topic in change.topics)
    batched = len(_PREFIX) + len(change_fragment(change, sorted(change.topics)))
    return max(single, batched + len(suffix(server_time)))


def pack(
    fragments: Iterable[tuple[int, bytes]],
    server_time: int,
    budget: int = API_GATEWAY_MAX_MESSAGE_BYTES,
) -> list[Outgoing]:
    """`events` frames holding the fragments in order, each within `budget` bytes."""
    tail = suffix(server_time)
    frames: list[Outgoing] = []
    parts: list[tuple[int, bytes]] = []
    size = len(_PREFIX) + len(tail)

    def close() -> Outgoing:
        data = _PREFIX + b",".join(fragment for _, fragment in parts) + tail
        return Outgoing(data, parts[0][0], len(parts), tuple(parts), tail)

    for index, fragment in fragments:
        extra = len(fragment) + (1 if parts else 0)
        if parts and size + extra > budget:
            frames.append(close())
            parts, size = [], len(_PREFIX) + len(tail)
            extra = len(fragment)
        parts.append((index, fragment))
        size += extra
    if parts:
        frames.append(close())
    return frames


def plan_batch(
    changes: Sequence[Change],
    subscriptions: Subscriptions,
    server_time: int,
    *,
    skip: Callable[[str], bool] = lambda _: False,
    budget: int = API_GATEWAY_MAX_MESSAGE_BYTES,
) -> dict[str, list[Outgoing]]:
    """Per connection, the messages to post in order (`changes` are in rev order).

    Batched subscriptions' changes come first, as `events` frames; then v1 subscriptions'
    `event` frames, change by change. `skip(connection_id)` leaves a connection out.
    """
    batched: dict[str, dict[int, list[str]]] = defaultdict(dict)
    single: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for index, change in enumerate(changes):
        for topic in sorted(change.topics):
            for connection_id, wants_batch in subscriptions(change.media_day, topic):
                if skip(connection_id):
                    continue
                if wants_batch:
                    batched[connection_id].setdefault(index, []).append(topic)
                else:
                    single[connection_id].append((index, topic))

    fragments: dict[tuple[int, tuple[str, ...]], bytes] = {}
    packed: dict[tuple[tuple[int, tuple[str, ...]], ...], list[Outgoing]] = {}
    singles: dict[tuple[int, str], bytes] = {}
    plans: dict[str, list[Outgoing]] = {}
    for connection_id in dict.fromkeys([*batched, *single]):
        messages: list[Outgoing] = []
        wanted = batched.get(connection_id)
        if wanted:
            key = tuple((index, tuple(topics)) for index, topics in sorted(wanted.items()))
            if key not in packed:
                for entry in key:
                    if entry not in fragments:
                        fragments[entry] = change_fragment(changes[entry[0]], entry[1])
                packed[key] = pack(((e[0], fragments[e]) for e in key), server_time, budget)
            messages.extend(packed[key])
        for index, topic in single.get(connection_id, ()):
            if (index, topic) not in singles:
                singles[(index, topic)] = changes[index].frame(topic, server_time).encode()
            messages.append(Outgoing(singles[(index, topic)], index))
        plans[connection_id] = messages
    return plans
