"""The client: one WebSocket to the service, kept alive, resumed and renewed on its own.

`MediaDayClient` is what callers use: requests (validated before they are sent), a live
mirror of topics, and events. Behind it, `client.supervisor` keeps one link live (open,
resume, renew, retry), `client.link` opens links and runs the heartbeat, and
`client.matching` matches answers to requests and assembles their pages.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from client.errors import (
    ClientClosed,
    ClientError,
    InvalidError,
    ServerUnreachable,
    describe_validation,
)
from client.events import SUBSCRIBE_EVENTS, ClientEvent, ConnectionState
from client.matching import chunks, new_request_id
from client.mirror import Mirror, topic_spec
from client.options import ClientOptions
from client.pending import Answered
from client.supervisor import Supervisor
from mediaday.models import CallState
from mediaday.protocol import READ_ACTIONS, Ack, AckState, Request

logger = logging.getLogger(__name__)

_REQUEST_ADAPTER: TypeAdapter[Request] = TypeAdapter(Request)
Listener = Callable[[ClientEvent], None]


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
        self.options = options or ClientOptions()
        self.mirror = Mirror()
        self.mirror.add_topics(topics)
        self._listeners: list[Listener] = []
        self._queues: set[asyncio.Queue[ClientEvent | None]] = set()
        self._changed = asyncio.Event()
        self._supervisor = Supervisor(
            url,
            token,
            self.options,
            rng=rng or random.Random(),  # noqa: S311 (jitter, not secrets)
            mirror=self.mirror,
            emit=self._emit,
            wake=self._wake,
        )

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
        if self._supervisor.started or self._supervisor.closed:
            raise RuntimeError("connect() is called once per client")
        try:
            await self._supervisor.start()
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop everything: tasks, links (closing handshake), waiting requests, iterators."""
        if self._supervisor.closed:
            return
        await self._supervisor.stop()
        for queue in self._queues:
            queue.put_nowait(None)

    @property
    def state(self) -> ConnectionState:
        return self._supervisor.state

    @property
    def state_reason(self) -> str:
        return self._supervisor.state_reason

    @property
    def failure(self) -> ClientError | None:
        """Why the client gave up for good (a refused token, a forbidden topic), if it did."""
        return self._supervisor.failure

    @property
    def reconnects(self) -> int:
        return self._supervisor.reconnects

    @property
    def renewals(self) -> int:
        return self._supervisor.renewals

    @property
    def retries(self) -> dict[str, int]:
        """Same-link resends so far, the most any one request got, and the retry budget:
        tokens left, retries it paid for and retries it refused."""
        requests = self._supervisor.requests
        budget = requests.budget
        return {
            "resends": requests.resends,
            "most_resends": requests.most_resends,
            "tokens": budget.tokens,
            "paid": budget.spent,
            "refused": budget.refused,
        }

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
            if self._supervisor.closed:
                return
            while (event := await queue.get()) is not None:
                yield event
        finally:
            self._queues.discard(queue)

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> None:
        """Wait until `predicate()` holds (checked after every event); TimeoutError if not."""
        async with asyncio.timeout(within):
            while not predicate():
                if self._supervisor.failure is not None:
                    raise self._supervisor.failure
                if self._supervisor.closed:
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
        self._wake()

    def _emit_all(self, events: Iterable[ClientEvent]) -> None:
        for event in events:
            self._emit(event)

    def _wake(self) -> None:
        """Let every `wait_until` check its predicate again."""
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # -- server clock ----------------------------------------------------------------------
    @property
    def clock_offset(self) -> float | None:
        """Seconds to add to the local clock to get the server's (None before any pong):
        from the pong with the shortest round trip of the last eight."""
        samples = self._supervisor.clock_samples
        return min(samples)[1] if samples else None

    @property
    def round_trip(self) -> float | None:
        samples = self._supervisor.clock_samples
        return min(samples)[0] if samples else None

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
        return (await self.write(action, request_id=request_id, **fields)).ack

    async def write(self, action: str, *, request_id: str | None = None, **fields: Any) -> Answered:
        """`request`, also saying how often the request went out (see `Answered`)."""
        payload = {"action": action, "id": request_id or new_request_id(), **fields}
        try:
            request = _REQUEST_ADAPTER.validate_python(payload)
        except ValidationError as error:
            raise InvalidError(describe_validation(error), request_id=str(payload["id"])) from None
        if request.action in READ_ACTIONS:
            raise ValueError(f"use the client's {request.action}() for {request.action!r}")
        return await self._supervisor.request(request.model_dump(mode="json", exclude_none=True))

    async def subscribe(self, *topics: str) -> Ack:
        """Add topics to the mirror; returns once their snapshot is applied."""
        for name in topics:
            topic_spec(name)
        new = [t for t in dict.fromkeys(topics) if t not in self.mirror.topics]
        self._emit_all(self.mirror.add_topics(new))
        try:
            ack: Ack | None = None
            for chunk in chunks(list(dict.fromkeys(topics))):
                subscribe = {
                    "action": "subscribe",
                    "id": new_request_id(),
                    "topics": chunk,
                    "events": SUBSCRIBE_EVENTS,
                }
                ack = (await self._supervisor.request(subscribe)).ack
        except BaseException:
            self._emit_all(self.mirror.remove_topics(new))
            raise
        assert ack is not None
        return ack

    async def unsubscribe(self, *topics: str) -> None:
        self._emit_all(self.mirror.remove_topics(topics))
        for chunk in chunks(list(dict.fromkeys(topics))):
            await self._supervisor.request(
                {"action": "unsubscribe", "id": new_request_id(), "topics": chunk}
            )

    async def sync(self) -> int | None:
        """Fetch every change since the watermark now; returns the new watermark."""
        await self._supervisor.sync()
        return self.mirror.watermark

    async def ping(self) -> float:
        """Round trip in seconds (it also refines the server clock offset)."""
        link = self._supervisor.live()
        if link is None:
            raise ServerUnreachable("not connected")
        return await self._supervisor.ping(link, self.options.pong_timeout)

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
