"""A small in-process server that speaks the protocol frames, for the client's unit tests.

It keeps items in memory with `version` and `rev` like the coordination store, answers
ping/subscribe/sync/unsubscribe and the writes the client and CLI use, recognises a retried
request by its key, and pushes `event` frames to subscribers like the broadcaster. Knobs
let a test break it on purpose: stop answering pings, swallow answers, drop connections,
send the ack before the pages, lose events, refuse tokens.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import time
from dataclasses import dataclass
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

MEDIA_DAY = "cbtc-2026"
_REQUESTS: TypeAdapter[Any] = TypeAdapter(Request)
_NEW_FIELD = {"create": "slot", "add": "shot", "push": "call"}


@dataclass(frozen=True)
class Caller:
    subject: str
    role: str
    station: str | None = None


def make_token(role: str, subject: str, station: str | None = None) -> str:
    """A token shaped like the real ones (claims readable), with a fake signature: the fake
    server admits it by exact match, the CLI reads its station claim."""
    claims = {"role": role, "md": MEDIA_DAY, "sub": subject, "iat": 0, "exp": 2**31, "kid": "k"}
    if station:
        claims["st"] = station
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"mdl1.{payload}.fake-signature"


PRODUCER_TOKEN = make_token("producer", "producer")
CREW_TOKEN = make_token("crew", "crew-st-1", "st-1")
KIOSK_TOKEN = make_token("kiosk", "kiosk")


class FakeServer:
    def __init__(self, *, page_size: int = 2, clock_offset: float = 0.0) -> None:
        self.tokens: dict[str, Caller] = {
            PRODUCER_TOKEN: Caller("producer", "producer"),
            CREW_TOKEN: Caller("crew-st-1", "crew", "st-1"),
            KIOSK_TOKEN: Caller("kiosk", "kiosk"),
        }
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.rev = 0
        self.page_size = page_size
        self.clock_offset = clock_offset
        self.requests: list[dict[str, Any]] = []
        self.subscriptions: dict[ServerConnection, set[str]] = {}
        # topics each connection subscribed with events="batched": pushed as `events`
        self.batched: dict[ServerConnection, set[str]] = {}
        self.callers: dict[ServerConnection, Caller] = {}
        self.handshakes = 0
        # knobs
        self.answer_pings = True
        self.answer_requests = True
        self.ack_before_pages = False
        self.lose_events = False
        self.drop_after_write = 0  # apply the next N writes, then drop the link unanswered
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

    def now_ms(self) -> int:
        return int((time.time() + self.clock_offset) * 1000)

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

    # -- data ------------------------------------------------------------------------------
    def put(self, item: dict[str, Any], *, broadcast: bool = True) -> dict[str, Any]:
        """Store a change (as a producer would) and push it to subscribers."""
        key = (item["type"], item["id"])
        old = self.items.get(key)
        self.rev += 1
        stored = {
            "media_day": MEDIA_DAY,
            **item,
            "version": (old["version"] if old else 0) + 1,
            "rev": self.rev,
            "updated_at": self.now_ms(),
        }
        stored = parse_item(stored).model_dump(mode="json", exclude_none=True)
        self.items[key] = stored
        if broadcast and not self.lose_events:
            self._broadcast(old, stored)
        return stored

    def delete(self, item_type: str, item_id: str) -> dict[str, Any]:
        return self.put({**self.items[(item_type, item_id)], "deleted": True})

    def live(self, item_type: str) -> list[dict[str, Any]]:
        return [i for (t, _), i in self.items.items() if t == item_type and not i["deleted"]]

    def _broadcast(self, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        topics = topics_of(parse_item(new))
        if old is not None:
            topics |= topics_of(parse_item(old))
        change = "deleted" if new["deleted"] else ("updated" if old else "created")
        for ws, subscribed in list(self.subscriptions.items()):
            batched = sorted(topics & subscribed & self.batched.get(ws, set()))
            if batched:
                entry = {
                    "topics": batched,
                    "change": change,
                    "item_type": new["type"],
                    "item_id": new["id"],
                    "item": new,
                    "version": new["version"],
                    "rev": new["rev"],
                }
                frame = {"type": "events", "changes": [entry], "server_time": self.now_ms()}
                asyncio.get_running_loop().create_task(self._send(ws, frame))
            for topic in sorted(topics & subscribed - set(batched)):
                frame = {
                    "type": "event",
                    "topic": topic,
                    "change": change,
                    "item_type": new["type"],
                    "item_id": new["id"],
                    "item": new,
                    "version": new["version"],
                    "rev": new["rev"],
                    "server_time": self.now_ms(),
                }
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
            await self._send(ws, answer)

    async def _read(self, ws: ServerConnection, request: Any) -> None:
        specs = []
        for name in request.topics or sorted(self.subscriptions[ws]):
            spec = parse_topic(name)
            if spec is None:
                await self._send(ws, self._error(request.id, "invalid", f"unknown topic {name}"))
                return
            specs.append(spec)
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
                chunks = [held[n : n + self.page_size] for n in range(0, len(held), self.page_size)]
                runs.extend((spec.name, chunk) for chunk in chunks or [[]])
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
            chunks = [
                changed[n : n + self.page_size] for n in range(0, len(changed), self.page_size)
            ]
            runs = [(None, chunk) for chunk in chunks or [[]]]
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

    def _batch(self, caller: Caller, request: Any) -> dict[str, Any]:
        """Every write or none (the table is restored on a refusal); events go out only
        once all are applied, like one transaction's stream records."""
        saved_items, saved_rev, lose = dict(self.items), self.rev, self.lose_events
        self.lose_events = True
        items, duplicates, changes = [], [], []
        try:
            for n, write in enumerate(request.writes):
                answer = self._write(caller, write)
                if answer["type"] == "error":
                    self.items, self.rev = saved_items, saved_rev
                    return self._error(
                        request.id,
                        answer["code"],
                        f"writes[{n}] {write.action}: {answer['message']}",
                        current=answer.get("current"),
                    )
                if answer.get("duplicate"):
                    duplicates.append(n)
                else:
                    changes.append(answer["item"])
                items.append(answer["item"])
        finally:
            self.lose_events = lose
        if not self.lose_events:
            for item in changes:
                old = saved_items.get((item["type"], item["id"]))
                self._broadcast(old, item)
        return self._ack(
            request,
            items=items,
            rev=self.rev,
            duplicates=duplicates or None,
            duplicate=True if len(duplicates) == len(items) else None,
        )

    def _write(self, caller: Caller, request: Any) -> dict[str, Any]:
        if request.action == "batch":
            return self._batch(caller, request)
        key = f"{caller.subject}/{request.id}"
        for item in self.items.values():
            if item.get("request_key") == key:
                return self._ack(request, item=item, version=item["version"], duplicate=True)
        action: str = request.action
        if caller.role == "kiosk" or (
            caller.role == "crew" and action not in ("call.ack", "shot.set_status")
        ):
            return self._error(request.id, "forbidden", f"a {caller.role} may not {action}")
        kind, _, verb = action.partition(".")
        if verb in ("create", "add", "push") or (verb == "put" and request.version is None):
            fields = getattr(
                request, {"create": "slot", "add": "shot", "push": "call"}.get(verb, kind)
            )
            item = {"type": kind, **fields.model_dump(mode="json", exclude_none=True)}
            if "id" not in item:
                digest = hashlib.sha256(key.encode()).hexdigest()[:16]
                item["id"] = f"{ {'slot': 'sl', 'shot': 'sh', 'call': 'ca'}[kind] }-{digest}"
            missing = self._missing_reference(item)
            if missing:
                return self._error(request.id, "not_found", missing)
            current = self.items.get((kind, item["id"]))
            if current is not None and not current["deleted"]:
                return self._error(request.id, "conflict", "exists", current=current)
            stored = self.put({**item, "request_key": key})
            return self._ack(request, item=stored, version=stored["version"], rev=stored["rev"])
        item_id = getattr(request, f"{kind}_id", None) or getattr(request, kind).id
        current = self.items.get((kind, item_id))
        if current is None or current["deleted"]:
            return self._error(request.id, "not_found", f"no {kind} {item_id}")
        if caller.role == "crew" and current.get("station_id") != caller.station:
            return self._error(request.id, "forbidden", "not your station")
        if current["version"] != request.version:
            return self._error(
                request.id, "conflict", f"stale version {request.version}", current=current
            )
        changes: dict[str, Any]
        if verb == "update":
            changes = request.changes.model_dump(mode="json", exclude_none=True)
        elif verb == "move":
            changes = request.model_dump(
                mode="json", exclude_none=True, include={"station_id", "starts_at", "ends_at"}
            )
        elif verb == "set_status":
            changes = {"status": request.status}
        elif verb == "ack":
            if current["state"] in ("done", "cancelled"):
                return self._error(request.id, "invalid_state", f"the call is {current['state']}")
            changes = {"state": request.state, "acked_by": caller.subject}
        elif verb == "cancel":
            changes = {"state": "cancelled"}
        elif verb == "put":
            changes = getattr(request, kind).model_dump(mode="json")
        else:
            changes = {"deleted": True}
        merged = {**current, **changes}
        missing = self._missing_reference(merged)
        if missing:
            return self._error(request.id, "not_found", missing)
        stored = self.put({**merged, "request_key": key})
        return self._ack(request, item=stored, version=stored["version"], rev=stored["rev"])

    def _missing_reference(self, item: dict[str, Any]) -> str:
        for field, kind in (("station_id", "station"), ("talent_id", "talent")):
            ref = item.get(field)
            found = self.items.get((kind, ref)) if ref else None
            if ref and (found is None or found["deleted"]):
                return f"no {kind} {ref!r} on the roster"
        return ""

    def _ack(self, request: Any, **fields: Any) -> dict[str, Any]:
        frame = {"type": "ack", "id": request.id, "action": request.action, **fields}
        return {k: v for k, v in frame.items() if v is not None} | {"server_time": self.now_ms()}

    def _error(
        self, request_id: Any, code: str, message: str, current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        frame = {"type": "error", "id": request_id, "code": code, "message": message}
        if current is not None:
            frame["current"] = current
        return frame | {"server_time": self.now_ms()}


def roster() -> list[dict[str, Any]]:
    """A small media day: two stations, three talent."""
    return [
        {"type": "day", "id": MEDIA_DAY, "name": "CBTC Media Day 2026", "timezone": "UTC"},
        {"type": "station", "id": "st-1", "name": "Interview Room 1", "kind": "interview"},
        {"type": "station", "id": "st-2", "name": "Photo Booth", "kind": "photo"},
        {"type": "talent", "id": "t-12", "name": "Jane Doe", "number": "12", "team": "Blue"},
        {"type": "talent", "id": "t-7", "name": "John Roe", "number": "7", "team": "Red"},
        {"type": "talent", "id": "t-3", "name": "Ada Poe", "number": "3", "team": "Blue"},
    ]


# One slot of station st-1, for tests that need an item to change, move or lose.
SLOT = {
    "type": "slot",
    "id": "sl-1",
    "station_id": "st-1",
    "talent_id": "t-12",
    "starts_at": "2026-05-04T09:00:00Z",
    "ends_at": "2026-05-04T09:15:00Z",
}


def client_for(server: FakeServer, token: str = PRODUCER_TOKEN, **kwargs: Any) -> MediaDayClient:
    """A client of `server` with the fast test options unless a test passes its own."""
    kwargs.setdefault("options", FAST)
    return MediaDayClient(server.url, token, **kwargs)
