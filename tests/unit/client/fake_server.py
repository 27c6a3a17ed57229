"""A small in-process server that speaks the protocol frames, for the client's unit tests.

It keeps items in memory like the coordination store (`fake_store.py`), answers
ping/subscribe/sync/unsubscribe and the writes the client and CLI use, and pushes `event`
frames to subscribers like the broadcaster. Knobs let a test break it on purpose: stop
answering pings, swallow answers, drop connections, send the ack before the pages, lose
events, refuse tokens. Who it admits and what it starts with: `fake_day.py` (re-exported
here, so tests import everything from this module).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from pydantic import TypeAdapter, ValidationError
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HttpRequest
from websockets.http11 import Response

from client.connection import MediaDayClient
from mediaday.models import parse_item
from mediaday.protocol import Request
from mediaday.topics import parse_topic, topics_of
from tests.support.client_options import FAST
from tests.unit.client.fake_day import (
    CREW_TOKEN,
    KIOSK_TOKEN,
    MEDIA_DAY,
    PRODUCER_TOKEN,
    SLOT,
    Caller,
    known_tokens,
    make_token,
    roster,
)
from tests.unit.client.fake_liveday import devices_snapshot
from tests.unit.client.fake_store import FakeStore

__all__ = [
    "CREW_TOKEN",
    "KIOSK_TOKEN",
    "MEDIA_DAY",
    "PRODUCER_TOKEN",
    "SLOT",
    "Caller",
    "FakeServer",
    "client_for",
    "make_token",
    "roster",
]

_REQUESTS: TypeAdapter[Any] = TypeAdapter(Request)


class FakeServer(FakeStore):
    def __init__(self, *, page_size: int = 2, clock_offset: float = 0.0) -> None:
        super().__init__(clock_offset=clock_offset)
        self.tokens: dict[str, Caller] = known_tokens()
        self.page_size = page_size
        self.requests: list[dict[str, Any]] = []
        self.devices: list[dict[str, Any]] = []  # what the `devices` topic shows producers
        self.subscriptions: dict[ServerConnection, set[str]] = {}
        # topics each connection subscribed with events="batched": pushed as `events`
        self.batched: dict[ServerConnection, set[str]] = {}
        self.callers: dict[ServerConnection, Caller] = {}
        self.handshakes = 0
        # knobs
        self.answer_pings = True
        self.answer_requests = True
        self.ack_before_pages = False
        self.drop_after_write = 0  # apply the next N writes, then drop the link unanswered
        self.busy_after_write = 0  # apply the next N writes, then answer `busy` (a lost reply)
        self.fail_next: dict[str, tuple[str, str]] = {}  # action -> (code, message), once
        self.ignore_next = 0  # leave the next N requests other than pings unanswered
        self.answer_delay = 0.0  # a slow server: answer requests other than pings this late
        self._silenced: set[ServerConnection] = set()
        self._server: Server | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> str:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, process_request=self._check_token, ping_interval=None
        )
        port = next(iter(self._server.sockets)).getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/local"
        return self.url

    async def stop(self) -> None:
        for ws in self._silenced:
            ws.transport.abort()  # a black hole completes no closing handshake
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def drop_all(self, code: int = 1001, reason: str = "going away") -> None:
        """The server closes every socket (as API Gateway does at 2 h or on a deploy)."""
        await asyncio.gather(*(ws.close(code, reason) for ws in list(self.subscriptions)))

    def silence(self) -> None:
        """Every open link goes silent, as through a black hole: the server stops reading
        (so not even WebSocket pings are answered) and sends nothing."""
        for ws in list(self.subscriptions):
            ws.transport.pause_reading()
            self._silenced.add(ws)
        self.lose_events = True

    @property
    def connections(self) -> list[ServerConnection]:
        return list(self.subscriptions)

    def _check_token(self, connection: ServerConnection, request: HttpRequest) -> Response | None:
        self.handshakes += 1
        token = parse_qs(urlsplit(request.path).query).get("token", [""])[0]
        if not token:
            return connection.respond(HTTPStatus.UNAUTHORIZED, "no token\n")
        if token not in self.tokens:
            return connection.respond(HTTPStatus.FORBIDDEN, "token rejected\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        token = parse_qs(urlsplit(ws.request.path).query)["token"][0]
        self.callers[ws] = self.tokens[token]
        self.subscriptions[ws] = set()
        try:
            async for message in ws:
                await self._on_message(ws, json.loads(message))
        except ConnectionClosed:
            pass
        finally:
            self.subscriptions.pop(ws, None)
            self.batched.pop(ws, None)
            self.callers.pop(ws, None)

    # -- pushes ----------------------------------------------------------------------------
    def _broadcast(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        topics = topics_of(parse_item(new))
        if old is not None:
            topics |= topics_of(parse_item(old))
        change = {
            "change": "deleted" if new["deleted"] else ("updated" if old else "created"),
            "item_type": new["type"],
            "item_id": new["id"],
            "item": new,
            "version": new["version"],
            "rev": new["rev"],
        }
        for ws, subscribed in list(self.subscriptions.items()):
            batched = sorted(topics & subscribed & self.batched.get(ws, set()))
            if batched:
                entry = {"topics": batched, **change}
                frame = {"type": "events", "changes": [entry], "server_time": self.now_ms()}
                asyncio.get_running_loop().create_task(self._send(ws, frame))
            for topic in sorted(topics & subscribed - set(batched)):
                frame = {"type": "event", "topic": topic, **change, "server_time": self.now_ms()}
                asyncio.get_running_loop().create_task(self._send(ws, frame))

    async def _send(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(frame))

    # -- requests --------------------------------------------------------------------------
    async def _on_message(self, ws: ServerConnection, data: dict[str, Any]) -> None:
        self.requests.append(data)
        action, request_id = data.get("action"), data.get("id")
        if action == "ping":
            if self.answer_pings:
                await self._send(
                    ws, {"type": "pong", "id": request_id, "server_time": self.now_ms()}
                )
            return
        if not self.answer_requests:
            return
        if self.ignore_next > 0:
            self.ignore_next -= 1
            return
        if self.answer_delay:
            await asyncio.sleep(self.answer_delay)
        if action in self.fail_next:
            code, message = self.fail_next.pop(action)
            await self._send(ws, self._error(request_id, code, message))
            return
        try:
            request = _REQUESTS.validate_python(data)
        except ValidationError as error:
            await self._send(ws, self._error(request_id, "invalid", str(error.errors()[0]["msg"])))
            return
        if action in ("subscribe", "sync"):
            await self._read(ws, request)
        elif action == "unsubscribe":
            self.subscriptions[ws] -= set(request.topics)
            await self._send(ws, self._ack(request, topics=list(request.topics)))
        else:
            answer = self._write(self.callers[ws], request)
            if self.drop_after_write > 0:
                self.drop_after_write -= 1
                await ws.close(1011, "lost the answer")
                return
            if self.busy_after_write > 0:
                self.busy_after_write -= 1
                answer = self._error(request_id, "busy", "the store did not answer in time")
            await self._send(ws, answer)

    async def _read(self, ws: ServerConnection, request: Any) -> None:
        specs = []
        for name in request.topics or sorted(self.subscriptions[ws]):
            spec = parse_topic(name)
            if spec is None:
                await self._send(ws, self._error(request.id, "invalid", f"unknown topic {name}"))
                return
            specs.append(spec)
        if request.action == "subscribe" and "devices" in request.topics:
            devices = devices_snapshot(self, self.callers[ws])
            if isinstance(devices, str):
                await self._send(ws, self._error(request.id, "forbidden", devices))
                return
        if request.action == "subscribe":
            self.subscriptions[ws] |= {spec.name for spec in specs}
            if request.events == "batched":
                self.batched.setdefault(ws, set()).update(spec.name for spec in specs)
            runs: list[tuple[str | None, list[dict[str, Any]]]] = []
            for spec in specs:
                held = [
                    i
                    for i in sorted(self.items.values(), key=lambda i: (i["type"], i["id"]))
                    if not i["deleted"] and spec.holds(parse_item(i))
                ]
                if spec.name == "devices":
                    held = list(self.devices)
                runs.extend((spec.name, chunk) for chunk in self._pages(held))
        else:
            if request.since > self.rev:
                await self._send(ws, self._error(request.id, "resync_required", "ahead"))
                return
            wanted = {t for spec in specs for t in spec.item_types}
            changed = sorted(
                (
                    i
                    for i in self.items.values()
                    if i["rev"] > request.since and i["type"] in wanted
                ),
                key=lambda i: i["rev"],
            )
            runs = [(None, chunk) for chunk in self._pages(changed)]
        frames = []
        for number, (topic, chunk) in enumerate(runs, 1):
            page: dict[str, Any] = {
                "type": "snapshot" if topic else "sync",
                "id": request.id,
                "rev": self.rev,
                "page": number,
                "pages": len(runs),
                "items": chunk,
                "server_time": self.now_ms(),
            }
            page.update({"topic": topic} if topic else {"since": request.since})
            frames.append(page)
        ack = self._ack(request, rev=self.rev, pages=len(runs), topics=[s.name for s in specs])
        for frame in [ack, *frames] if self.ack_before_pages else [*frames, ack]:
            await self._send(ws, frame)

    def _pages(self, items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
        """Items in pages of `page_size`; nothing is one empty page."""
        size = self.page_size
        return [items[n : n + size] for n in range(0, len(items), size)] or [[]]


def client_for(server: FakeServer, token: str = PRODUCER_TOKEN, **kwargs: Any) -> MediaDayClient:
    """A client of `server` with the fast test options unless a test passes its own."""
    kwargs.setdefault("options", FAST)
    return MediaDayClient(server.url, token, **kwargs)
