"""A small protocol client for e2e tests: requests with ids, pages collected by id, pushed
events queued, and a mirror of the subscribed topics kept by the protocol's rules (apply an
item only if its version is newer; hold it iff its topic holds it and it is not deleted)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from mediaday.models import parse_item
from mediaday.topics import parse_topic


class ProtocolClient:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.mirror: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.watermark = 0
        self._versions: dict[str, dict[tuple[str, str], int]] = {}
        self.received_at: dict[tuple[str, int], float] = {}
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._pages: dict[str, list[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, url: str, *, resume: ProtocolClient | None = None, **kwargs: Any
    ) -> ProtocolClient:
        """Connect; `resume` carries over an earlier client's mirror and watermark, as a
        client reconnecting after a drop does."""
        client = cls(await connect(url, max_size=None, **kwargs))
        if resume is not None:
            client.mirror = {topic: dict(items) for topic, items in resume.mirror.items()}
            client._versions = {t: dict(v) for t, v in resume._versions.items()}
            client.watermark = resume.watermark
        return client

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await self._reader

    async def __aenter__(self) -> ProtocolClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- requests ------------------------------------------------------------------------
    async def request(self, action: str, timeout: float = 15.0, **fields: Any) -> dict[str, Any]:
        """Send and wait for the ack, error or pong; `pages` holds the frames that came
        before it (snapshot or sync pages of this request)."""
        request_id = fields.pop("id", None) or uuid.uuid4().hex
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[request_id] = answer
        self._pages[request_id] = []
        await self.ws.send(json.dumps({"action": action, "id": request_id, **fields}))
        frame = await asyncio.wait_for(answer, timeout)
        frame["pages_received"] = self._pages.pop(request_id)
        if frame.get("type") == "ack" and frame.get("pages") is not None:
            assert len(frame["pages_received"]) == frame["pages"], frame
        return frame

    async def subscribe(self, *topics: str) -> dict[str, Any]:
        for topic in topics:  # before the request: events may come before the ack
            self.mirror.setdefault(topic, {})
            self._versions.setdefault(topic, {})
        ack = await self.request("subscribe", topics=list(topics))
        assert ack["type"] == "ack", ack
        for page in ack["pages_received"]:
            for item in page["items"]:
                self._apply(page["topic"], item)
        self.watermark = max(self.watermark, ack["rev"])
        return ack

    async def sync(self, topics: list[str] | None = None) -> dict[str, Any]:
        fields: dict[str, Any] = {"since": self.watermark}
        if topics:
            fields["topics"] = topics
        ack = await self.request("sync", **fields)
        assert ack["type"] == "ack", ack
        for page in ack["pages_received"]:
            for item in page["items"]:
                for topic in self.mirror:
                    self._apply(topic, item)
        self.watermark = max(self.watermark, ack["rev"])
        return ack

    async def next_event(self, timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        """The next pushed event whose fields equal `match` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no event matching {match}")
            event = await asyncio.wait_for(self.events.get(), remaining)
            if all(event.get(k) == v for k, v in match.items()):
                return event

    def items(self, topic: str) -> dict[tuple[str, str], dict[str, Any]]:
        return self.mirror.get(topic, {})

    # -- reading -------------------------------------------------------------------------
    async def _read(self) -> None:
        async for raw in self.ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind in ("snapshot", "sync"):
                self._pages.setdefault(frame["id"], []).append(frame)
            elif kind == "event":
                self.received_at[(frame["item_id"], frame["version"])] = time.perf_counter()
                if frame["topic"] in self.mirror:
                    self._apply(frame["topic"], frame["item"])
                self.events.put_nowait(frame)
            elif frame.get("id") in self._answers:
                answer = self._answers.pop(frame["id"])
                if not answer.done():
                    answer.set_result(frame)
            else:
                self.events.put_nowait(frame)

    def _apply(self, topic: str, item: dict[str, Any]) -> None:
        mirror = self.mirror.setdefault(topic, {})
        versions = self._versions.setdefault(topic, {})
        key = (item["type"], item["id"])
        if versions.get(key, 0) >= item["version"]:
            return  # what we hold (or dropped) is as new or newer
        versions[key] = item["version"]
        spec = parse_topic(topic)
        if item.get("deleted") or spec is None or not spec.holds(parse_item(item)):
            mirror.pop(key, None)
        else:
            mirror[key] = item
