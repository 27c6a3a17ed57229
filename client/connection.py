"""The client: one WebSocket to the service, kept alive, resumed and renewed on its own.

One supervisor task owns the connection:
  open a link -> ping (clock offset) -> subscribe every topic (each snapshot is the exact
  state at its rev) -> CONNECTED: resend the requests still waiting -> wait for one of
  - the link dropping: RECONNECTING, sleep a full-jitter delay (a venue full of kiosks that
    lose the Wi-Fi together comes back spread over seconds, not in one burst), open again;
  - the renewal time, before API Gateway's 2-hour limit: open a second link, subscribe on
    it, switch to it, then close the old one (make before break);
  - close().
A heartbeat task pings every 60-120 s, well under API Gateway's 10-minute idle timeout; no
pong within `pong_timeout` means the link is dead, so it is aborted and the supervisor
reconnects. After each pong it syncs since the watermark (in the background, so a slow
sync never delays the next ping), which repairs silently lost events within one interval.

Requests keep their `id` across reconnects, so the server recognises a retried write and
acknowledges it as a duplicate instead of applying it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import TypeAdapter, ValidationError
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from client.errors import (
    ClientClosed,
    ClientError,
    ConnectFailed,
    InvalidError,
    RateLimitedError,
    RequestFailed,
    RequestTimeout,
    ResyncRequiredError,
    ServerError,
    ServerUnreachable,
    TokenRefused,
    UnauthorizedError,
    describe_validation,
    error_for,
)
from client.events import (
    ClientEvent,
    ConnectionState,
    ItemChanged,
    Resynced,
    StateChanged,
    parse_frame,
)
from client.mirror import Mirror, topic_spec
from mediaday.models import CallState
from mediaday.protocol import (
    Ack,
    AckState,
    ErrorFrame,
    Event,
    Pong,
    Request,
    SnapshotPage,
    SyncPage,
)

logger = logging.getLogger(__name__)

MAX_TOPICS_PER_REQUEST = 20  # mediaday.protocol.Topics
_REQUEST_ADAPTER: TypeAdapter[Request] = TypeAdapter(Request)
_READ_ACTIONS = frozenset({"ping", "subscribe", "unsubscribe", "sync"})
Listener = Callable[[ClientEvent], None]


def new_request_id() -> str:
    return uuid.uuid4().hex


def url_with_token(url: str, token: str) -> str:
    """The WebSocket URL with `?token=` set (any previous token replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "token"] + [("token", token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential backoff: attempt n waits uniform(0, min(cap, first * 2^(n-1))).

    Even the first retry after a drop is jittered over `first` seconds: when the venue's
    Wi-Fi comes back, fifty kiosks reconnect spread over seconds instead of at once.
    """

    first: float = 5.0
    cap: float = 60.0
    factor: float = 2.0

    def window(self, attempt: int) -> float:
        return min(self.cap, self.first * self.factor ** max(0, attempt - 1))

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0.0, self.window(attempt))


@dataclass(frozen=True)
class ClientOptions:
    backoff: Backoff = field(default_factory=Backoff)
    # seconds between heartbeats, drawn uniformly from this range (idle timeout: 10 min)
    heartbeat: tuple[float, float] = (60.0, 120.0)
    pong_timeout: float = 15.0
    # API Gateway closes a connection after 2 h: renew after at most this long ...
    max_lifetime: float = 110 * 60.0
    # ... minus up to this fraction, so connections opened together do not renew together
    lifetime_jitter: float = 0.1
    request_timeout: float = 15.0
    open_timeout: float = 10.0
    close_timeout: float = 2.0
    periodic_sync: bool = True
    # False: the first connection attempt raises instead of retrying (CLI commands)
    retry_initial: bool = True
    max_message_bytes: int = 1 << 20

    def renewal_after(self, rng: random.Random) -> float:
        return self.max_lifetime * (1.0 - rng.uniform(0.0, self.lifetime_jitter))


class _LinkLost(ClientError):
    """Internal: the link a request was bound to dropped before the answer came."""

    code = "link_lost"


# Failures the next connection may not meet; anything else refused is refused for good.
_TRANSIENT = (
    ServerUnreachable,
    _LinkLost,
    RequestTimeout,
    ServerError,
    UnauthorizedError,
    RateLimitedError,
)
_link_numbers = itertools.count(1)


class _Link:
    """One WebSocket connection and the task reading it."""

    def __init__(self, ws: ClientConnection, opened_at: float) -> None:
        self.ws = ws
        self.number = next(_link_numbers)
        self.opened_at = opened_at
        self.lost = asyncio.Event()
        self.reason = ""
        self.reader: asyncio.Task[None] | None = None

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    def abort(self, reason: str) -> None:
        """Drop the link at once (a dead link cannot complete a closing handshake)."""
        self.reason = self.reason or reason
        transport = getattr(self.ws, "transport", None)
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(BaseException):
                await self.reader


@dataclass(eq=False)
class _Pending:
    payload: dict[str, Any]
    future: asyncio.Future[Ack | Pong]
    # internal requests (resume, heartbeat) belong to one link and fail when it drops;
    # callers' requests are resent on the next link with the same id
    bound: _Link | None = None
    link: _Link | None = None
    ack: Ack | None = None
    pages: dict[tuple[str, int], SnapshotPage | SyncPage] = field(default_factory=dict)
    retries: int = 0

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def action(self) -> str:
        return str(self.payload["action"])

    @property
    def text(self) -> str:
        return json.dumps(self.payload, separators=(",", ":"))


def _chunks(topics: Sequence[str]) -> list[list[str]]:
    return [
        list(topics[i : i + MAX_TOPICS_PER_REQUEST])
        for i in range(0, len(topics), MAX_TOPICS_PER_REQUEST)
    ]


def _settle(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
        future.exception()  # retrieved: no "never retrieved" warning if nobody waits


class MediaDayClient:
    """A connection to Media Day Live: requests, a live mirror of topics, events.

    ```python
    async with MediaDayClient(url, token, topics=["roster", "station:st-3"]) as client:
        print(client.mirror.slots("st-3"))
        async for event in client.events():
            ...
    ```
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        topics: Iterable[str] = (),
        options: ClientOptions | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.url = url
        self._token = token
        self.options = options or ClientOptions()
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not secrets)
        self.mirror = Mirror()
        self.mirror.add_topics(topics)
        self._state = ConnectionState.CLOSED
        self._state_reason = ""
        self._link: _Link | None = None
        self._links: set[_Link] = set()
        self._pending: dict[str, _Pending] = {}
        self._listeners: list[Listener] = []
        self._queues: set[asyncio.Queue[ClientEvent | None]] = set()
        self._changed = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None
        self._heartbeat_task: asyncio.Task[None] | None = None
        self._first: asyncio.Future[None] | None = None
        self._ever_connected = False
        self._closed = False
        self._failure: ClientError | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._sync_task: asyncio.Task[None] | None = None
        self._clock_samples: deque[tuple[float, float]] = deque(maxlen=8)
        self.reconnects = 0
        self.renewals = 0

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> MediaDayClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Connect and subscribe; returns once the mirror is live.

        Raises TokenRefused at once; ServerUnreachable at once when `retry_initial` is off
        (otherwise it keeps retrying with backoff until it connects or `close()`).
        """
        if self._supervisor is not None or self._closed:
            raise RuntimeError("connect() is called once per client")
        self._first = asyncio.get_running_loop().create_future()
        self._set_state(ConnectionState.CONNECTING)
        self._supervisor = asyncio.create_task(self._supervise(), name="mediaday-supervisor")
        self._heartbeat_task = asyncio.create_task(self._heartbeat(), name="mediaday-heartbeat")
        try:
            await asyncio.shield(self._first)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop everything: tasks, links (closing handshake), waiting requests, iterators."""
        if self._closed:
            return
        self._closed = True
        tasks = [t for t in (self._supervisor, self._heartbeat_task) if t is not None]
        tasks += self._background
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(link.close() for link in list(self._links)))
        self._link = None
        closed = ClientClosed("the client was closed")
        for pending in list(self._pending.values()):
            _settle(pending.future, closed)
        if self._first is not None:
            _settle(self._first, self._failure or closed)
        self._set_state(ConnectionState.CLOSED, self._state_reason if self._failure else "closed")
        for queue in self._queues:
            queue.put_nowait(None)

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def state_reason(self) -> str:
        return self._state_reason

    @property
    def failure(self) -> ClientError | None:
        """Why the client gave up for good (a refused token, a forbidden topic), if it did."""
        return self._failure

    # -- events ----------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(event)` for every client event; returns a function to remove it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    async def events(self) -> AsyncIterator[ClientEvent]:
        """Every client event from now on, until the client closes."""
        queue: asyncio.Queue[ClientEvent | None] = asyncio.Queue()
        self._queues.add(queue)
        try:
            if self._closed:
                return
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._queues.discard(queue)

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> None:
        """Wait until `predicate()` holds (checked after every event); TimeoutError if not."""
        async with asyncio.timeout(within):
            while not predicate():
                if self._failure is not None:
                    raise self._failure
                if self._closed:
                    raise ClientClosed("the client was closed")
                await self._changed.wait()

    def _emit(self, event: ClientEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                logger.exception("a client event listener failed")
        for queue in self._queues:
            queue.put_nowait(event)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _emit_all(self, events: Iterable[ClientEvent]) -> None:
        for event in events:
            self._emit(event)

    def _set_state(
        self,
        state: ConnectionState,
        reason: str = "",
        *,
        retry_in: float | None = None,
        attempt: int = 0,
    ) -> None:
        if state is self._state and reason == self._state_reason and retry_in is None:
            return
        self._state, self._state_reason = state, reason
        self._emit(StateChanged(state=state, reason=reason, retry_in=retry_in, attempt=attempt))

    # -- server clock ----------------------------------------------------------------------
    @property
    def clock_offset(self) -> float | None:
        """Seconds to add to the local clock to get the server's (None before any pong):
        from the pong with the shortest round trip of the last eight."""
        if not self._clock_samples:
            return None
        return min(self._clock_samples)[1]

    @property
    def round_trip(self) -> float | None:
        return min(self._clock_samples)[0] if self._clock_samples else None

    def server_time(self) -> float:
        """The server's clock now, in epoch seconds (the local clock until the first pong)."""
        return time.time() + (self.clock_offset or 0.0)

    # -- requests --------------------------------------------------------------------------
    async def request(
        self,
        action: str,
        *,
        request_id: str | None = None,
        **fields: Any,
    ) -> Ack:
        """Send a write (validated against the protocol first) and return its ack.

        Raises the typed RequestFailed for an error frame, RequestTimeout when no answer
        comes in time (retrying with the same `request_id` is then safe).
        """
        payload = {"action": action, "id": request_id or new_request_id(), **fields}
        try:
            request = _REQUEST_ADAPTER.validate_python(payload)
        except ValidationError as error:
            raise InvalidError(describe_validation(error), request_id=str(payload["id"])) from None
        if request.action in _READ_ACTIONS:
            raise ValueError(f"use the client's {request.action}() for {request.action!r}")
        return await self._request(request.model_dump(mode="json", exclude_none=True))

    async def subscribe(self, *topics: str) -> Ack:
        """Add topics to the mirror; returns once their snapshot is applied."""
        for name in topics:
            topic_spec(name)
        new = [t for t in dict.fromkeys(topics) if t not in self.mirror.topics]
        self._emit_all(self.mirror.add_topics(new))
        try:
            ack: Ack | None = None
            for chunk in _chunks(list(dict.fromkeys(topics))):
                ack = await self._request(
                    {"action": "subscribe", "id": new_request_id(), "topics": chunk}
                )
        except BaseException:
            self._emit_all(self.mirror.remove_topics(new))
            raise
        assert ack is not None
        return ack

    async def unsubscribe(self, *topics: str) -> None:
        self._emit_all(self.mirror.remove_topics(topics))
        for chunk in _chunks(list(dict.fromkeys(topics))):
            await self._request({"action": "unsubscribe", "id": new_request_id(), "topics": chunk})

    async def sync(self) -> int | None:
        """Fetch every change since the watermark now; returns the new watermark."""
        for chunk, since in self._sync_plan():
            payload = {"action": "sync", "id": new_request_id(), "since": since, "topics": chunk}
            try:
                await self._request(payload)
            except ResyncRequiredError:
                await self._request(
                    {"action": "subscribe", "id": new_request_id(), "topics": chunk}
                )
        return self.mirror.watermark

    async def ping(self) -> float:
        """Round trip in seconds (it also refines the server clock offset)."""
        link = self._link
        if link is None:
            raise ServerUnreachable("not connected")
        return await self._ping(link, self.options.pong_timeout)

    # -- typed helpers for the common writes ------------------------------------------------
    async def push_call(
        self,
        talent_id: str,
        station_id: str,
        *,
        note: str = "",
        call_id: str | None = None,
        request_id: str | None = None,
    ) -> Ack:
        call: dict[str, Any] = {"talent_id": talent_id, "station_id": station_id, "note": note}
        if call_id:
            call["id"] = call_id
        return await self.request("call.push", call=call, request_id=request_id)

    async def ack_call(
        self, call_id: str, version: int, state: AckState | CallState, **kwargs: Any
    ) -> Ack:
        return await self.request(
            "call.ack", call_id=call_id, version=version, state=str(state), **kwargs
        )

    async def cancel_call(self, call_id: str, version: int, **kwargs: Any) -> Ack:
        return await self.request("call.cancel", call_id=call_id, version=version, **kwargs)

    async def set_shot_status(self, shot_id: str, version: int, status: str, **kwargs: Any) -> Ack:
        return await self.request(
            "shot.set_status", shot_id=shot_id, version=version, status=status, **kwargs
        )

    # -- request machinery -----------------------------------------------------------------
    async def _request(self, payload: dict[str, Any]) -> Ack:
        if self._failure is not None:
            raise self._failure
        if self._closed or self._supervisor is None:
            raise ClientClosed("the client is not connected (use connect() or async with)")
        if payload["id"] in self._pending:
            raise ValueError(f"request {payload['id']} is already waiting for its answer")
        pending = _Pending(payload, asyncio.get_running_loop().create_future())
        self._pending[pending.id] = pending
        try:
            if self._link is not None and self._state is ConnectionState.CONNECTED:
                await self._send(pending, self._link)
            async with asyncio.timeout(self.options.request_timeout):
                answer = await pending.future
        except TimeoutError:
            raise RequestTimeout(
                f"no answer to {pending.action} within {self.options.request_timeout:g}s "
                f"(state: {self._state}); retrying with the same id is safe",
                request_id=pending.id,
            ) from None
        finally:
            self._pending.pop(pending.id, None)
        assert isinstance(answer, Ack)
        return answer

    async def _call(
        self, payload: dict[str, Any], link: _Link, limit: float | None = None
    ) -> Ack | Pong:
        """An internal request on one link (resume, heartbeat); _LinkLost if it drops."""
        pending = _Pending(payload, asyncio.get_running_loop().create_future(), bound=link)
        self._pending[pending.id] = pending
        try:
            await self._send(pending, link)
            if pending.link is None:
                raise _LinkLost(link.reason or "the link closed")
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
            async with asyncio.timeout(limit or self.options.request_timeout):
                return await pending.future
        except TimeoutError:
            raise RequestTimeout(
                f"no answer to {pending.action} on link {link.number}", request_id=pending.id
            ) from None
        finally:
            self._pending.pop(pending.id, None)

    async def _send(self, pending: _Pending, link: _Link) -> None:
        pending.link, pending.ack = link, None
        pending.pages.clear()
        try:
            await link.send(pending.text)
        except ConnectionClosed:
            pending.link = None  # the reader notices the drop; the request waits for a link

    def _resend_orphans(self) -> None:
        """Send every caller request not on a live link on the current one."""
        link = self._link
        if link is None or self._state is not ConnectionState.CONNECTED:
            return
        for pending in list(self._pending.values()):
            if pending.bound is None and (pending.link is None or pending.link.lost.is_set()):
                task = asyncio.create_task(self._send(pending, link))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    # -- frames ----------------------------------------------------------------------------
    def _on_frame(self, link: _Link, raw: str | bytes) -> None:
        try:
            frame = parse_frame(raw)
        except ValueError as error:
            logger.warning("ignored a frame that is not protocol: %s", str(error)[:200])
            return
        if isinstance(frame, Event):
            change = self.mirror.apply(frame.item, topic=frame.topic)
            if change is not None:
                self._emit(change)
            return
        pending = self._pending.get(frame.id) if frame.id is not None else None
        if pending is None:
            if isinstance(frame, ErrorFrame):
                logger.warning("server error: %s %s", frame.code, frame.message)
            return  # a late or duplicate answer to a request nobody waits for
        if pending.future.done():
            return
        if isinstance(frame, ErrorFrame):
            self._on_error(pending, link, frame)
        elif isinstance(frame, Pong):
            pending.future.set_result(frame)
        elif link is pending.link:  # pages and acks of the send we are counting
            if isinstance(frame, Ack):
                pending.ack = frame
            else:
                pending.pages[(getattr(frame, "topic", ""), frame.page)] = frame
            self._maybe_complete(pending)
        elif isinstance(frame, Ack) and pending.action not in ("subscribe", "sync"):
            pending.future.set_result(frame)  # a write's ack from an earlier send is as good

    def _on_error(self, pending: _Pending, link: _Link, frame: ErrorFrame) -> None:
        error = error_for(frame.code, frame.message, request_id=frame.id, current=frame.current)
        if isinstance(error, UnauthorizedError) and pending.bound is None and pending.retries < 2:
            # The server lost this connection's record: a new connection gets a new one.
            pending.retries += 1
            pending.link = None
            link.abort("the server no longer knows this connection")
            return
        pending.future.set_exception(error)

    def _maybe_complete(self, pending: _Pending) -> None:
        ack = pending.ack
        if ack is None or len(pending.pages) < (ack.pages or 0):
            return
        pages = sorted(pending.pages.values(), key=lambda p: (getattr(p, "topic", ""), p.page))
        items = [item for page in pages for item in page.items]
        topics = ack.topics or list(pending.payload.get("topics") or self.mirror.topics)
        rev = ack.rev if ack.rev is not None else max((p.rev for p in pages), default=0)
        via: Literal["snapshot", "sync"] | None = None
        changes: list[ItemChanged] = []
        if pending.action == "subscribe":
            via, changes = "snapshot", self.mirror.apply_snapshot(topics, rev, items)
        elif pending.action == "sync":
            via, changes = "sync", self.mirror.apply_sync(topics, rev, items)
        self._emit_all(changes)
        if via is not None:
            self._emit(Resynced(via=via, topics=list(topics), rev=rev, items=len(items)))
        pending.future.set_result(ack)

    async def _read(self, link: _Link) -> None:
        try:
            async for message in link.ws:
                try:
                    self._on_frame(link, message)
                except Exception:
                    logger.exception("a frame could not be handled")
        except ConnectionClosed:
            pass
        finally:
            code, why = link.ws.close_code, link.ws.close_reason
            self._on_link_lost(link, f"closed ({code} {why})".strip() if code else "link lost")

    def _on_link_lost(self, link: _Link, reason: str) -> None:
        link.reason = link.reason or reason
        link.lost.set()
        self._links.discard(link)
        for pending in list(self._pending.values()):
            if pending.bound is link:
                _settle(pending.future, _LinkLost(link.reason))
            elif pending.link is link:
                pending.link = None
        if self._link is link:
            self._link = None
        else:
            self._resend_orphans()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # -- the supervisor --------------------------------------------------------------------
    async def _open_link(self) -> _Link:
        try:
            ws = await ws_connect(
                url_with_token(self.url, self._token),
                open_timeout=self.options.open_timeout,
                close_timeout=self.options.close_timeout,
                ping_interval=None,  # the protocol's own ping/pong is the heartbeat
                max_size=self.options.max_message_bytes,
                user_agent_header="mediaday-client",
            )
        except InvalidStatus as error:
            status = error.response.status_code
            detail = error.response.body.decode(errors="replace").strip()[:200]
            detail = f": {detail}" if detail else ""
            if status in (401, 403):
                message = f"the server refused the token (HTTP {status}{detail})"
                raise TokenRefused(message, status) from None
            raise ServerUnreachable(f"{self.url} answered HTTP {status}{detail}") from None
        except InvalidURI:
            raise ConnectFailed(f"not a WebSocket URL: {self.url}") from None
        except (OSError, TimeoutError, WebSocketException) as error:
            detail = str(error) or type(error).__name__
            raise ServerUnreachable(f"cannot reach {self.url}: {detail}") from None
        link = _Link(ws, asyncio.get_running_loop().time())
        self._links.add(link)
        link.reader = asyncio.create_task(self._read(link), name=f"mediaday-link-{link.number}")
        return link

    async def _resume(self, link: _Link) -> None:
        """Make a fresh link live: clock sample, then every topic's snapshot."""
        await self._ping(link, self.options.pong_timeout)
        for chunk in _chunks(self.mirror.topics):
            await self._call({"action": "subscribe", "id": new_request_id(), "topics": chunk}, link)

    async def _supervise(self) -> None:
        attempt = 0
        while not self._closed:
            link: _Link | None = None
            try:
                link = await self._open_link()
                await self._resume(link)
            except _TRANSIENT as error:
                await self._discard(link)
                if not self._ever_connected and not self.options.retry_initial:
                    self._fail(error)
                    return
                attempt += 1
                await self._retry_after(attempt, error.message)
                continue
            except (ConnectFailed, RequestFailed) as error:
                await self._discard(link)
                self._fail(error)  # a refused token or topic: retrying cannot help
                return
            attempt = 0
            self._go_live(link)
            reason = await self._serve(link)
            self.reconnects += 1
            attempt = 1  # even the first retry is jittered: spread the crowd
            await self._retry_after(attempt, reason)

    async def _serve(self, link: _Link) -> str:
        """Hold the live link until it drops (returns why), renewing it when it gets old."""
        loop = asyncio.get_running_loop()
        renew_at = link.opened_at + self.options.renewal_after(self._rng)
        while not self._closed:
            wait = None if renew_at == float("inf") else max(0.0, renew_at - loop.time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await link.lost.wait()
            if link.lost.is_set():
                return link.reason or "link lost"
            try:
                renewed = await self._renew(link)
            except TokenRefused as error:
                # The token expired meanwhile: keep the link until the gateway closes it;
                # the reconnect then reports the refusal.
                logger.warning("connection renewal refused: %s", error.message)
                renew_at = float("inf")
                continue
            if renewed is None:
                renew_at = loop.time() + self.options.backoff.delay(1, self._rng)
                continue
            link = renewed
            renew_at = link.opened_at + self.options.renewal_after(self._rng)
        return "closed"

    async def _renew(self, old: _Link) -> _Link | None:
        """Make before break: a new live link replaces `old`; None if that failed (try
        again later), TokenRefused if the token no longer admits a connection."""
        new: _Link | None = None
        try:
            new = await self._open_link()
            await self._resume(new)
        except TokenRefused:
            await self._discard(new)
            raise
        except ClientError as error:
            logger.warning("connection renewal failed, keeping the old one: %s", error.message)
            await self._discard(new)
            return None
        self.renewals += 1
        self._link = new
        self._set_state(ConnectionState.CONNECTED, "renewed")
        await old.close()  # its unanswered requests move to the new link
        self._resend_orphans()
        return new

    def _go_live(self, link: _Link) -> None:
        self._link = link
        self._ever_connected = True
        self._set_state(ConnectionState.CONNECTED)
        if self._first is not None and not self._first.done():
            self._first.set_result(None)
        self._resend_orphans()

    async def _retry_after(self, attempt: int, reason: str) -> None:
        delay = self.options.backoff.delay(attempt, self._rng)
        logger.info("reconnecting in %.1fs (attempt %d): %s", delay, attempt, reason)
        self._set_state(ConnectionState.RECONNECTING, reason, retry_in=delay, attempt=attempt)
        await asyncio.sleep(delay)

    async def _discard(self, link: _Link | None) -> None:
        if link is not None:
            link.abort("discarded")
            await link.close()

    def _fail(self, error: ClientError) -> None:
        self._failure = error
        self._set_state(ConnectionState.CLOSED, error.message)
        if self._first is not None:
            _settle(self._first, error)
        for pending in list(self._pending.values()):
            _settle(pending.future, error)
        if self._heartbeat_task is not None:
            self._heartbeat_task.cancel()

    # -- heartbeat -------------------------------------------------------------------------
    async def _heartbeat(self) -> None:
        low, high = self.options.heartbeat
        while not self._closed:
            await asyncio.sleep(self._rng.uniform(low, high))
            link = self._link
            if link is None or self._state is not ConnectionState.CONNECTED:
                continue
            try:
                await self._ping(link, self.options.pong_timeout)
            except RequestTimeout:
                logger.warning("no pong within %.1fs: the link is dead", self.options.pong_timeout)
                link.abort(f"no pong within {self.options.pong_timeout:g}s")
                continue
            except ClientError:
                continue
            syncing = self._sync_task is not None and not self._sync_task.done()
            if self.options.periodic_sync and not syncing:
                # in the background: a long sync must not hold up the next ping
                self._sync_task = asyncio.create_task(self._periodic_sync(link))
                self._background.add(self._sync_task)
                self._sync_task.add_done_callback(self._background.discard)

    async def _periodic_sync(self, link: _Link) -> None:
        with contextlib.suppress(ClientError):
            await self._sync_on(link)

    async def _ping(self, link: _Link, limit: float) -> float:
        sent = time.time()
        pong = await self._call({"action": "ping", "id": new_request_id()}, link, limit)
        received = time.time()
        round_trip = received - sent
        self._clock_samples.append((round_trip, pong.server_time / 1000 - (sent + received) / 2))
        return round_trip

    def _sync_plan(self) -> list[tuple[list[str], int]]:
        plan: list[tuple[list[str], int]] = []
        for chunk in _chunks(self.mirror.topics):
            revs = [self.mirror.topic_rev(t) for t in chunk]
            known = [r for r in revs if r is not None]
            if known:
                plan.append(
                    ([t for t, r in zip(chunk, revs, strict=True) if r is not None], min(known))
                )
        return plan

    async def _sync_on(self, link: _Link) -> None:
        for chunk, since in self._sync_plan():
            payload = {"action": "sync", "id": new_request_id(), "since": since, "topics": chunk}
            try:
                await self._call(payload, link)
            except ResyncRequiredError:
                await self._call(
                    {"action": "subscribe", "id": new_request_id(), "topics": chunk}, link
                )
