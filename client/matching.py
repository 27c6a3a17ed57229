"""Matching answers to requests: pages and acks by request id, assembled into one answer.

A subscribe or sync is answered by an ack and `pages` pages, in either order; the answer is
complete when both are in, and only then is it applied to the mirror (the snapshot is the
exact state at its rev). Requests keep their `id` across reconnects, so the server
recognises a retried write and acknowledges it as a duplicate instead of applying it twice.

A caller's request waits for its answer until its deadline. Each attempt within it waits
what the observed round trips imply (client/pacing.py); an attempt without an answer on a
link that is still up is resent on that same link with the same id, after a backoff, if
the retry budget pays for it: a slow answer is not a dead link, so it never causes a
reconnect. A `busy` refusal is retried the same way after the server's `retry_after_ms`.
Reads (subscribe, sync) are not resent with their id on the same link: the pages of two
answers would mix. A resume's subscribe that the server refused as `busy` or `internal`, or
that may have been shed (the gateway's id-less integration-failure frame arrived after it
was sent), is resent on the same link under a new id instead, so old pages are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

from websockets.exceptions import ConnectionClosed

from client.errors import RequestTimeout, UnauthorizedError, error_for
from client.events import ClientEvent, ItemChanged, Resynced, parse_frame
from client.link import Link, LinkLost, silent
from client.mirror import Mirror
from client.pacing import RetryBudget, RetryQuota, RoundTrips, TimeoutPolicy
from client.pending import Answered, Pending, is_integration_failure
from mediaday.backoff import Backoff, Uniform
from mediaday.protocol import (
    Ack,
    ErrorFrame,
    EventFrame,
    EventsFrame,
    Pong,
)

logger = logging.getLogger(__name__)

MAX_TOPICS_PER_REQUEST = 20  # mediaday.protocol.Topics
# A caller's request refused as `unauthorized` is retried on this many new connections.
_UNAUTHORIZED_RETRIES = 2
# Answers made of pages: resending one on the same link would mix two answers' pages.
_PAGED_READS = ("subscribe", "sync")


def new_request_id() -> str:
    return uuid.uuid4().hex


def chunks(topics: Sequence[str]) -> list[list[str]]:
    """Topics in groups a single request may carry."""
    return [
        list(topics[i : i + MAX_TOPICS_PER_REQUEST])
        for i in range(0, len(topics), MAX_TOPICS_PER_REQUEST)
    ]


def settle(future: asyncio.Future[Any], error: BaseException) -> None:
    """Fail `future` unless it is done, without a "never retrieved" warning."""
    if not future.done():
        future.set_exception(error)
        future.exception()


class Requests:
    """Every request waiting for its answer, and the frames that answer them.

    Events go straight to the mirror; answers complete the request they name. `emit`
    hears every change the mirror made, and the Resynced that closes a snapshot or sync.
    """

    def __init__(
        self,
        mirror: Mirror,
        emit: Callable[[ClientEvent], None],
        *,
        timeouts: TimeoutPolicy | None = None,
        quota: RetryQuota | None = None,
        resend_backoff: Backoff | None = None,
        uniform: Uniform | None = None,
    ) -> None:
        self._mirror = mirror
        self._emit = emit
        self._pending: dict[str, Pending] = {}
        self.background: set[asyncio.Task[None]] = set()
        self.round_trips = RoundTrips(timeouts or TimeoutPolicy())
        self.budget = RetryBudget(quota or RetryQuota())
        self._resend_backoff = resend_backoff or Backoff(base=1.0, cap=8.0)
        self._uniform = uniform
        self.resends = 0  # every same-link resend, for the figures
        self.most_resends = 0  # the most any one request was resent

    # -- waiting ---------------------------------------------------------------------------
    async def request(
        self,
        payload: dict[str, Any],
        link: Link | None,
        within: float,
        state: Callable[[], str],
    ) -> Answered:
        """A caller's request: sent on `link` if there is one, else on the next live link;
        RequestTimeout (naming the connection's `state()`) when no answer comes in time."""
        if payload["id"] in self._pending:
            raise ValueError(f"request {payload['id']} is already waiting for its answer")
        pending = Pending(payload, asyncio.get_running_loop().create_future())
        self._pending[pending.id] = pending
        try:
            if link is not None:
                await self._send(pending, link)
            async with asyncio.timeout(within):
                answer = await self._answer(pending, within)
        except TimeoutError:
            raise RequestTimeout(
                f"no answer to {pending.action} within {within:g}s "
                f"(state: {state()}); retrying with the same id is safe",
                request_id=pending.id,
            ) from None
        finally:
            self._pending.pop(pending.id, None)
        assert isinstance(answer, Ack)
        return Answered(answer, pending.sends)

    async def _answer(self, pending: Pending, within: float) -> Ack | Pong:
        """Wait for the answer attempt by attempt (the caller's deadline is around this),
        resending on the same live link when an attempt gets nothing or `busy`."""
        loop = asyncio.get_running_loop()
        started, spent = loop.time(), 0
        while not await self._settled(pending, self.round_trips.timeout(within)):
            busy, pending.busy_after = pending.busy_after, None  # None: the attempt timed out
            link = pending.link
            usable = link is not None and not link.lost.is_set() and self._may_resend(pending)
            cost = self.budget.take(timeout=busy is None) if usable else 0
            if not cost:
                if busy is not None and pending.refusal is not None:
                    pending.future.set_exception(pending.refusal)  # no retry left: say so
                continue  # otherwise keep waiting for an answer to the sends made
            spent += cost
            delay = max(busy or 0.0, self._resend_backoff.delay(pending.resends + 1, self._uniform))
            if await self._settled(pending, delay, nudges=False):
                break
            if link is not None and pending.link is link and not link.lost.is_set():
                pending.resends += 1
                self.resends += 1
                self.most_resends = max(self.most_resends, pending.resends)
                logger.info("resending %s %s on link %d", pending.action, pending.id, link.number)
                await self._send(pending, link)
        answer = pending.future.result()
        self.round_trips.observe(loop.time() - started)
        self.budget.answered(spent)
        return answer

    @staticmethod
    async def _settled(pending: Pending, within: float, *, nudges: bool = True) -> bool:
        """Wait up to `within` for the answer: True once it is in; False on timeout or,
        with `nudges`, as soon as the server answered `busy`."""
        if pending.future.done():
            return True
        if nudges and pending.busy_after is not None:
            return False
        pending.nudge.clear()
        waiting: set[asyncio.Future[Any]] = {pending.future}
        nudged = asyncio.ensure_future(pending.nudge.wait()) if nudges else None
        if nudged is not None:
            waiting.add(nudged)
        try:
            await asyncio.wait(waiting, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if nudged is not None:
                nudged.cancel()
        return pending.future.done()

    def _may_resend(self, pending: Pending) -> bool:
        return (
            pending.action not in _PAGED_READS and pending.resends < self.budget.quota.max_resends
        )

    async def call(
        self, payload: dict[str, Any], link: Link, within: float, *, patience: int = 0
    ) -> Ack | Pong:
        """An internal request on one link (resume, heartbeat); LinkLost if it drops. With
        `patience`, a period of `within` without an answer on a link that is not silent is
        waited out up to that many more times (a slow answer on a live link is not a reason
        to drop it), and a refusal or a shed is resent on the link (`_resend_read`)."""
        loop = asyncio.get_running_loop()
        pending = Pending(payload, loop.create_future(), bound=link, patient=patience > 0)
        self._pending[pending.id] = pending
        spent = 0
        try:
            await self._send(pending, link)
            if pending.link is None:
                raise LinkLost(link.reason or "the link closed")
            for period in range(patience + 1):
                since, control = loop.time(), await link.probe() if patience else None
                # shielded waits: the answer can still come next period
                if await self._settled(pending, within):
                    break
                refusal, pending.refusal = pending.refusal, None
                hint, pending.busy_after = pending.busy_after, None
                shed = link.shed_at > pending.sent_at
                if period == patience or not (refusal or shed or not silent(link, since, control)):
                    if refusal is not None:
                        raise refusal
                    raise TimeoutError
                if refusal is not None or shed:
                    spent += await self._resend_read(pending, link, hint, timed_out=refusal is None)
                else:
                    logger.info("%s slow on live link %d: waiting on", pending.action, link.number)
            answer = pending.future.result()
            self.budget.answered(spent)
            return answer
        except TimeoutError:
            raise RequestTimeout(
                f"no answer to {pending.action} on link {link.number}", request_id=pending.id
            ) from None
        finally:
            self._pending.pop(pending.id, None)

    async def _resend_read(
        self, pending: Pending, link: Link, hint: float | None, *, timed_out: bool
    ) -> int:
        """Send a resume's read again on `link` under a new id (the old answer's pages,
        if they ever come, are then ignored), after the server's hint or a backoff, if the
        retry budget pays; returns the tokens spent."""
        delay = max(hint or 0.0, self._resend_backoff.delay(pending.resends + 1, self._uniform))
        if await self._settled(pending, delay, nudges=False):
            return 0
        if link.lost.is_set():
            raise LinkLost(link.reason or "the link closed")
        cost = self.budget.take(timeout=timed_out)
        if cost:
            self._pending.pop(pending.id, None)
            pending.payload = {**pending.payload, "id": new_request_id()}
            self._pending[pending.id] = pending
            pending.resends += 1
            self.resends += 1
            self.most_resends = max(self.most_resends, pending.resends)
            logger.info("resending %s on link %d as %s", pending.action, link.number, pending.id)
            await self._send(pending, link)
        return cost

    async def _send(self, pending: Pending, link: Link) -> None:
        pending.link, pending.ack = link, None
        pending.sent_at = asyncio.get_running_loop().time()
        pending.sends += 1
        pending.busy_after = pending.refusal = None  # what answered an earlier send is moot
        pending.pages.clear()
        try:
            await link.send(pending.text)
        except ConnectionClosed:
            pending.link = None  # the reader notices the drop; the request waits for a link

    def resend_orphans(self, link: Link | None) -> None:
        """Send every caller request not on a live link on `link` (the live one)."""
        if link is None:
            return
        for pending in list(self._pending.values()):
            if pending.bound is None and (pending.link is None or pending.link.lost.is_set()):
                task = asyncio.create_task(self._send(pending, link))
                self.background.add(task)
                task.add_done_callback(self.background.discard)

    def link_lost(self, link: Link) -> None:
        """Requests bound to `link` fail; callers' requests sent on it wait for the next."""
        for pending in list(self._pending.values()):
            if pending.bound is link:
                settle(pending.future, LinkLost(link.reason))
            elif pending.link is link:
                pending.link = None

    def fail_all(self, error: BaseException) -> None:
        for pending in list(self._pending.values()):
            settle(pending.future, error)

    # -- frames ----------------------------------------------------------------------------
    def on_frame(self, link: Link, raw: str | bytes) -> None:
        try:
            frame = parse_frame(raw)
        except ValueError as error:
            if is_integration_failure(raw):
                self._on_shed(link)
                return
            logger.warning("ignored a frame that is not protocol: %s", str(error)[:200])
            return
        if isinstance(frame, EventFrame):
            change = self._mirror.apply(frame.item, topic=frame.topic)
            if change is not None:
                self._emit(change)
            return
        if isinstance(frame, EventsFrame):
            for change in self._mirror.apply_events(frame):
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

    def _on_error(self, pending: Pending, link: Link, frame: ErrorFrame) -> None:
        error = error_for(frame.code, frame.message, request_id=frame.id, current=frame.current)
        if (
            isinstance(error, UnauthorizedError)
            and pending.bound is None
            and pending.retries < _UNAUTHORIZED_RETRIES
        ):
            # The server lost this connection's record: a new connection gets a new one.
            pending.retries += 1
            pending.link = None
            link.abort("the server no longer knows this connection")
            return
        if pending.patient and error.code in ("busy", "internal"):
            # a resume's read refused on a live link: resent there (`call`), not reconnected
            pending.refusal = error
            pending.busy_after = (frame.retry_after_ms or 0) / 1000
            pending.nudge.set()
            return
        if error.code == "busy" and pending.bound is None:
            # Retried after the server's hint if the budget allows (the request loop decides)
            pending.refusal = error
            pending.busy_after = (frame.retry_after_ms or 0) / 1000
            pending.nudge.set()
            return
        pending.future.set_exception(error)

    def _on_shed(self, link: Link) -> None:
        """The gateway's answer for an invocation it could not run (throttled or failed):
        it names no request, so every resume's read on the link may be the one lost."""
        link.shed_at = asyncio.get_running_loop().time()
        for pending in self._pending.values():
            if pending.patient and pending.link is link and not pending.future.done():
                pending.busy_after = pending.busy_after or 0.0
                pending.nudge.set()

    def _maybe_complete(self, pending: Pending) -> None:
        """Apply a subscribe's or sync's answer once its ack and every page are in."""
        ack = pending.ack
        if ack is None or len(pending.pages) < (ack.pages or 0):
            return
        pages = sorted(pending.pages.values(), key=lambda p: (getattr(p, "topic", ""), p.page))
        items = [item for page in pages for item in page.items]
        topics = ack.topics or list(pending.payload.get("topics") or self._mirror.topics)
        rev = ack.rev if ack.rev is not None else max((p.rev for p in pages), default=0)
        via: Literal["snapshot", "sync"] | None = None
        changes: list[ItemChanged] = []
        if pending.action == "subscribe":
            via, changes = "snapshot", self._mirror.apply_snapshot(topics, rev, items)
        elif pending.action == "sync":
            via, changes = "sync", self._mirror.apply_sync(topics, rev, items)
        for change in changes:
            self._emit(change)
        if via is not None:
            self._emit(Resynced(via=via, topics=list(topics), rev=rev, items=len(items)))
        pending.future.set_result(ack)
