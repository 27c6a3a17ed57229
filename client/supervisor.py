"""Keeping one live link: open, resume, hold, renew, and retry after a drop.

One supervisor task owns the connection:
  open a link -> ping (clock offset) -> subscribe every topic (each snapshot is the exact
  state at its rev) -> CONNECTED: resend the requests still waiting -> wait for one of
  - the link dropping: RECONNECTING, sleep a full-jitter delay (a venue full of kiosks that
    lose the Wi-Fi together comes back spread over seconds, not in one burst), open again;
  - the renewal time, before API Gateway's 2-hour limit: open a second link, subscribe on
    it, switch to it, then close the old one (make before break);
  - close().
Whether a failure is worth another attempt is `options.process_exception`'s call, and the
wait before it `options.backoff`'s: every reconnect is backed off, whatever the cause (a
timeout included), so a slow server is not answered with a burst of `$connect`s. A link
is dropped only when it is silent (client/link.py); a slow answer is waited for and
resent on the same link (client/matching.py). After each heartbeat pong it syncs since the watermark
(in the background, so a slow sync never delays the next ping), which repairs silently
lost events within one interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from client.access import explain, fresh_token, seconds_left
from client.errors import (
    ClientClosed,
    ClientError,
    RequestTimeout,
    ResyncRequiredError,
    TokenRefused,
)
from client.events import SUBSCRIBE_EVENTS, ClientEvent, ConnectionState, StateChanged
from client.link import Link, confirmed_silent, heartbeat, open_link
from client.matching import Requests, chunks, new_request_id, settle
from client.mirror import Mirror
from client.options import ClientOptions
from client.pending import Answered
from mediaday.protocol import Pong

logger = logging.getLogger(__name__)
# A resume's subscribe slow on a live link waits up to this many more request timeouts
# before the link is given up (a reconnect would only ask the slow server for more).
RESUME_PATIENCE = 2


class Supervisor:
    """The connection's state machine and the tasks that drive it (see the module doc)."""

    def __init__(
        self,
        url: str,
        token: str,
        options: ClientOptions,
        *,
        rng: random.Random,
        mirror: Mirror,
        emit: Callable[[ClientEvent], None],
        wake: Callable[[], None],
    ) -> None:
        self._url, self._token = url, token
        self._options, self._rng = options, rng
        self._mirror, self._emit, self._wake = mirror, emit, wake
        self.requests = Requests(
            mirror,
            emit,
            timeouts=options.timeouts,
            quota=options.retry_quota,
            resend_backoff=options.resend_backoff,
            uniform=rng.uniform,
        )
        self.state = ConnectionState.CLOSED
        self.state_reason = ""
        self.failure: ClientError | None = None
        self.closed = False
        self.reconnects = 0
        self.renewals = 0
        self._link: Link | None = None
        self._links: set[Link] = set()
        self._task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._sync: asyncio.Task[None] | None = None
        self._first: asyncio.Future[None] | None = None
        self._ever_connected = False
        self.clock_samples: deque[tuple[float, float]] = deque(maxlen=8)

    @property
    def started(self) -> bool:
        return self._task is not None

    def live(self) -> Link | None:
        """The link requests go out on, while CONNECTED."""
        return self._link if self.state is ConnectionState.CONNECTED else None

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the tasks; returns once the first link is live (or raises why not)."""
        self._first = asyncio.get_running_loop().create_future()
        self.set_state(ConnectionState.CONNECTING)
        self._task = asyncio.create_task(self._supervise(), name="mediaday-supervisor")
        self._heartbeat = asyncio.create_task(
            heartbeat(
                self._options.heartbeat,
                self._options.pong_timeout,
                self._rng.uniform,
                live=self.live,
                ping=self.ping,
                after_pong=self._after_pong,
            ),
            name="mediaday-heartbeat",
        )
        await asyncio.shield(self._first)

    async def stop(self) -> None:
        """Stop every task, close every link, fail every waiting request."""
        self.closed = True
        tasks = [t for t in (self._task, self._heartbeat, self._sync) if t is not None]
        tasks += self.requests.background
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(link.close() for link in list(self._links)))
        self._link = None
        closed = ClientClosed("the client was closed")
        self.requests.fail_all(closed)
        if self._first is not None:
            settle(self._first, self.failure or closed)
        self.set_state(ConnectionState.CLOSED, self.state_reason if self.failure else "closed")

    def set_state(
        self,
        state: ConnectionState,
        reason: str = "",
        *,
        retry_in: float | None = None,
        attempt: int = 0,
    ) -> None:
        if state is self.state and reason == self.state_reason and retry_in is None:
            return
        self.state, self.state_reason = state, reason
        self._emit(StateChanged(state=state, reason=reason, retry_in=retry_in, attempt=attempt))

    # -- requests --------------------------------------------------------------------------
    async def request(self, payload: dict[str, Any]) -> Answered:
        """A caller's request, resent on the next link (same id) if this one drops."""
        if self.failure is not None:
            raise self.failure
        if self.closed or not self.started:
            raise ClientClosed("the client is not connected (use connect() or async with)")
        return await self.requests.request(
            payload, self.live(), self._options.request_timeout, lambda: str(self.state)
        )

    async def ping(self, link: Link, limit: float) -> float:
        """Round trip in seconds; each pong is a sample of the server's clock."""
        sent = time.time()
        pong = await self.requests.call({"action": "ping", "id": new_request_id()}, link, limit)
        received = time.time()
        assert isinstance(pong, Pong)
        round_trip = received - sent
        self.clock_samples.append((round_trip, pong.server_time / 1000 - (sent + received) / 2))
        return round_trip

    async def sync(self, link: Link | None = None) -> None:
        """Fetch every change since each topic's rev; a topic whose rev is no longer kept
        gets a new snapshot. Bound to `link` (the heartbeat's: it fails if that link drops)
        or, without one, a caller's request that survives reconnects."""

        async def send(payload: dict[str, Any]) -> None:
            if link is None:
                await self.request(payload)
            else:
                await self.requests.call(payload, link, self._options.request_timeout)

        for chunk, since in self._sync_plan():
            try:
                await send(
                    {"action": "sync", "id": new_request_id(), "since": since, "topics": chunk}
                )
            except ResyncRequiredError:
                await send(
                    {
                        "action": "subscribe",
                        "id": new_request_id(),
                        "topics": chunk,
                        "events": SUBSCRIBE_EVENTS,
                    }
                )

    def _sync_plan(self) -> list[tuple[list[str], int]]:
        plan: list[tuple[list[str], int]] = []
        for chunk in chunks(self._mirror.topics):
            revs = [self._mirror.topic_rev(t) for t in chunk]
            known = [r for r in revs if r is not None]
            if known:
                plan.append(
                    ([t for t, r in zip(chunk, revs, strict=True) if r is not None], min(known))
                )
        return plan

    def _after_pong(self, link: Link) -> None:
        syncing = self._sync is not None and not self._sync.done()
        if self._options.periodic_sync and not syncing:
            # in the background: a long sync must not hold up the next ping
            self._sync = asyncio.create_task(self._periodic_sync(link))

    async def _periodic_sync(self, link: Link) -> None:
        with contextlib.suppress(ClientError):
            await self.sync(link)

    # -- links -----------------------------------------------------------------------------
    async def _open(self) -> Link:
        self._token = fresh_token(
            self._token, self._options.token_source, margin=self._options.renew_before_expiry
        )
        link = await open_link(
            self._url,
            self._token,
            open_timeout=self._options.open_timeout,
            close_timeout=self._options.close_timeout,
            max_message_bytes=self._options.max_message_bytes,
            on_frame=self.requests.on_frame,
            on_lost=self._on_link_lost,
        )
        self._links.add(link)
        return link

    async def _open_live(self) -> Link:
        """A new link, resumed; if resuming fails it is discarded before the error propagates
        (a cancellation leaves it to stop(), which closes every link)."""
        link = await self._open()
        try:
            await self._resume(link)
        except ClientError:
            await link.discard()
            raise
        return link

    async def _resume(self, link: Link) -> None:
        """Make a fresh link live: clock sample, then every topic's snapshot. The clock
        sample is best effort: a late pong on a link that answers WebSocket pings is a slow
        server, and the link is kept (a silent one is dropped)."""
        sent = asyncio.get_running_loop().time()
        control = await link.probe()
        try:
            await self.ping(link, self._options.pong_timeout)
        except RequestTimeout:
            if await confirmed_silent(link, sent, control, self._options.pong_timeout / 2):
                raise
            logger.info("no pong yet on new link %d, which is live: going on", link.number)
        for chunk in chunks(self._mirror.topics):
            payload = {
                "action": "subscribe",
                "id": new_request_id(),
                "topics": chunk,
                "events": SUBSCRIBE_EVENTS,
            }
            await self.requests.call(
                payload, link, self._options.request_timeout, patience=RESUME_PATIENCE
            )

    def _on_link_lost(self, link: Link, reason: str) -> None:
        link.reason = link.reason or reason
        link.lost.set()
        self._links.discard(link)
        self.requests.link_lost(link)
        if self._link is link:
            self._link = None
        else:
            self.requests.resend_orphans(self.live())
        self._wake()

    # -- the loop --------------------------------------------------------------------------
    async def _supervise(self) -> None:
        attempt = 0
        while not self.closed:
            try:
                link = await self._open_live()
            except ClientError as error:
                verdict = self._options.process_exception(error)
                if verdict is not None or not (self._ever_connected or self._options.retry_initial):
                    self._fail(explain(verdict or error, self._token))  # a refused token, say
                    return
                attempt += 1
                await self._retry_after(attempt, error.message)
                continue
            attempt = 0
            self._go_live(link)
            reason = await self._serve(link)
            self.reconnects += 1
            attempt = 1  # even the first retry is jittered: spread the crowd
            await self._retry_after(attempt, reason)

    async def _serve(self, link: Link) -> str:
        """Hold the live link until it drops (returns why), renewing it when it gets old."""
        loop = asyncio.get_running_loop()
        renew_at = self._renew_at(link)
        while not self.closed:
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
                renew_at = loop.time() + self._options.backoff.delay(1, self._rng.uniform)
                continue
            link = renewed
            renew_at = self._renew_at(link)
        return "closed"

    def _renew_at(self, link: Link) -> float:
        """Before API Gateway's 2-hour limit, and, when a new token can be had, before the
        token expires (client.access)."""
        renew_at = link.opened_at + self._options.renewal_after(self._rng)
        left = seconds_left(self._token)
        if self._options.token_source is not None and left is not None:
            now = asyncio.get_running_loop().time()
            renew_at = min(renew_at, max(now + 1.0, now + left - self._options.renew_before_expiry))
        return renew_at

    async def _renew(self, old: Link) -> Link | None:
        """Make before break: a new live link replaces `old`; None if that failed (try
        again later), TokenRefused if the token no longer admits a connection."""
        try:
            new = await self._open_live()
        except TokenRefused:
            raise
        except ClientError as error:
            logger.warning("connection renewal failed, keeping the old one: %s", error.message)
            return None
        self.renewals += 1
        self._link = new
        self.set_state(ConnectionState.CONNECTED, "renewed")
        await old.close()  # its unanswered requests move to the new link
        self.requests.resend_orphans(self.live())
        return new

    def _go_live(self, link: Link) -> None:
        self._link = link
        self._ever_connected = True
        self.set_state(ConnectionState.CONNECTED)
        if self._first is not None and not self._first.done():
            self._first.set_result(None)
        self.requests.resend_orphans(self.live())

    async def _retry_after(self, attempt: int, reason: str) -> None:
        delay = self._options.backoff.delay(attempt, self._rng.uniform)
        logger.info("reconnecting in %.1fs (attempt %d): %s", delay, attempt, reason)
        self.set_state(ConnectionState.RECONNECTING, reason, retry_in=delay, attempt=attempt)
        await asyncio.sleep(delay)

    def _fail(self, error: ClientError) -> None:
        self.failure = error
        self.set_state(ConnectionState.CLOSED, error.message)
        if self._first is not None:
            settle(self._first, error)
        self.requests.fail_all(error)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
