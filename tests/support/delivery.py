"""In-memory stand-ins for the Management API and the subscriptions, for fan-out tests.

moto's `post_to_connection` accepts any id and never answers 410 or 429, so tests script
those answers here instead.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mediaday.errors import ConnectionGone, DeliveryError

# A script decides what one post does: return None to deliver, or raise a DeliveryError.
Script = Callable[[str, dict[str, Any], int], DeliveryError | None]


class RecordingPoster:
    """The one fake Management API poster: records every delivered frame (parsed in
    `delivered`, raw bytes in `posted`, in order); `script` can refuse, throttle or
    declare gone.

    `script(connection_id, frame, attempt)` is called with the attempt number for that
    connection and frame (1 for the first try) and returns an error to raise, or None.
    """

    def __init__(
        self,
        *,
        gone: Iterable[str] = (),
        script: Script | None = None,
        delay: float = 0.0,
    ) -> None:
        self.gone = set(gone)
        self._script = script
        self._delay = delay
        self._lock = threading.Lock()
        self._attempts: Counter[tuple[str, bytes]] = Counter()
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.posted: list[tuple[str, bytes]] = []  # as sent on the wire
        self.in_flight = 0
        self.max_in_flight = 0

    def post(self, connection_id: str, data: bytes) -> None:
        frame = json.loads(data)
        with self._lock:
            self._attempts[(connection_id, data)] += 1
            attempt = self._attempts[(connection_id, data)]
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self._delay:
                time.sleep(self._delay)
            if connection_id in self.gone:
                raise ConnectionGone(f"connection {connection_id} is gone")
            if self._script is not None:
                error = self._script(connection_id, frame, attempt)
                if error is not None:
                    raise error
            with self._lock:
                self.delivered.append((connection_id, frame))
                self.posted.append((connection_id, data))
        finally:
            with self._lock:
                self.in_flight -= 1

    def close(self, connection_id: str) -> None:
        self.gone.add(connection_id)

    # -- assertions ----------------------------------------------------------------------
    def receivers(self, **match: Any) -> set[str]:
        """Connections that received a frame whose fields equal `match`."""
        return {
            connection_id
            for connection_id, frame in self.delivered
            if all(frame.get(key) == value for key, value in match.items())
        }

    def frames(self, connection_id: str | None = None) -> list[dict[str, Any]]:
        """Delivered frames in order: all of them, or those to one connection."""
        return [frame for target, frame in self.delivered if connection_id in (None, target)]

    def frames_to(self, connection_id: str) -> list[dict[str, Any]]:
        return self.frames(connection_id)

    @property
    def attempts(self) -> int:
        return sum(self._attempts.values())

    def attempts_to(self, connection_id: str) -> int:
        return sum(n for (target, _), n in self._attempts.items() if target == connection_id)


class MemoryDirectory:
    """Subscriptions held in memory; counts the lookups a real store would Query."""

    def __init__(
        self,
        subscriptions: dict[tuple[str, str], Iterable[str]] | None = None,
        *,
        batched: Iterable[str] = (),
    ) -> None:
        self._topics: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.batched = set(batched)  # connections that subscribed with events="batched"
        for key, connection_ids in (subscriptions or {}).items():
            self._topics[key].extend(connection_ids)
        self.lookups: list[tuple[str, str]] = []
        self.removed: list[str] = []
        self._lock = threading.Lock()

    def subscribe(self, media_day: str, topic: str, connection_ids: Iterable[str]) -> None:
        self._topics[(media_day, topic)].extend(connection_ids)

    def subscribers(self, media_day: str, topic: str, *, now: float | None = None) -> Iterator[str]:
        self.lookups.append((media_day, topic))
        yield from list(self._topics.get((media_day, topic), []))

    def subscriptions(
        self, media_day: str, topic: str, *, now: float | None = None
    ) -> Iterator[tuple[str, bool]]:
        for connection_id in self.subscribers(media_day, topic, now=now):
            yield connection_id, connection_id in self.batched

    def remove(self, connection_id: str) -> int:
        with self._lock:
            self.removed.append(connection_id)
            removed = 0
            for members in self._topics.values():
                while connection_id in members:
                    members.remove(connection_id)
                    removed += 1
            return removed
