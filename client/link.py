"""One WebSocket link to the service: opening it, mapping its failures, its heartbeat.

A link is one connection and the task reading it. Opening maps every way the handshake
can fail to the error a caller acts on (a refused token is not a server that is down).
The heartbeat pings every 60-120 s, well under API Gateway's 10-minute idle timeout.
A link is dead only when *nothing* comes back for `pong_timeout`: no pong, no other frame,
and no answer to the WebSocket-level ping sent with it (answered by the gateway itself,
without a Lambda). A late pong on a link that still carries frames is a slow server, not a
dead link: reconnecting would cost the server a `$connect` and a subscribe with snapshots
for the ping it gave up on, which is how a slow server is kept slow (a retry storm).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from client.errors import (
    ClientError,
    ConnectFailed,
    RateLimitedError,
    RequestTimeout,
    ServerError,
    ServerUnreachable,
    TokenRefused,
    UnauthorizedError,
)
from mediaday.backoff import Uniform

logger = logging.getLogger(__name__)

_link_numbers = itertools.count(1)


def url_with_token(url: str, token: str) -> str:
    """The WebSocket URL with `?token=` set (any previous token replaced)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "token"] + [("token", token)]
    return urlunsplit(parts._replace(query=urlencode(query)))


class LinkLost(ClientError):
    """Internal: the link a request was bound to dropped before the answer came."""

    code = "link_lost"


# Failures the next connection may not meet; anything else refused is refused for good.
TRANSIENT: tuple[type[ClientError], ...] = (
    ServerUnreachable,
    LinkLost,
    RequestTimeout,
    ServerError,
    UnauthorizedError,
    RateLimitedError,
)


def retry_transient(error: ClientError) -> ClientError | None:
    """The default retry decision, shaped like websockets' `process_exception`: None to
    retry, or the error to give up with (a refused token or topic: retrying cannot help)."""
    return None if isinstance(error, TRANSIENT) else error


class Link:
    """One WebSocket connection and the task reading it."""

    def __init__(self, ws: ClientConnection, opened_at: float) -> None:
        self.ws = ws
        self.number = next(_link_numbers)
        self.opened_at = opened_at
        self.lost = asyncio.Event()
        self.reason = ""
        self.reader: asyncio.Task[None] | None = None
        self.heard_at = opened_at  # when the last frame of any kind arrived
        self.shed_at = 0.0  # when the gateway last said an invocation could not run

    async def send(self, text: str) -> None:
        await self.ws.send(text)

    def heard(self) -> None:
        self.heard_at = asyncio.get_running_loop().time()

    async def probe(self) -> Awaitable[float] | None:
        """A WebSocket ping (the gateway answers it itself); the waiter for its pong, or
        None if the link is already closed."""
        try:
            waiter = await self.ws.ping()
        except (ConnectionClosed, RuntimeError):
            return None
        if isinstance(waiter, asyncio.Future):
            # a link closed before the pong fails the waiter: nobody needs to hear that
            waiter.add_done_callback(lambda f: f.cancelled() or f.exception())
        return waiter

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

    async def discard(self) -> None:
        """Abort and wait for the reader: a link that never went live."""
        self.abort("discarded")
        await self.close()


async def open_link(
    url: str,
    token: str,
    *,
    open_timeout: float,
    close_timeout: float,
    max_message_bytes: int,
    on_frame: Callable[[Link, str | bytes], None],
    on_lost: Callable[[Link, str], None],
) -> Link:
    """Open a link and start reading it: every frame goes to `on_frame`, and `on_lost`
    hears once why it ended. Raises TokenRefused (401/403), ConnectFailed (not a WebSocket
    URL) or ServerUnreachable (anything a later attempt may not meet)."""
    try:
        ws = await ws_connect(
            url_with_token(url, token),
            open_timeout=open_timeout,
            close_timeout=close_timeout,
            ping_interval=None,  # the protocol's own ping/pong is the heartbeat
            max_size=max_message_bytes,
            user_agent_header="mediaday-client",
        )
    except InvalidStatus as error:
        status = error.response.status_code
        detail = error.response.body.decode(errors="replace").strip()[:200]
        detail = f": {detail}" if detail else ""
        if status in (401, 403):
            message = f"the server refused the token (HTTP {status}{detail})"
            raise TokenRefused(message, status) from None
        raise ServerUnreachable(f"{url} answered HTTP {status}{detail}") from None
    except InvalidURI:
        raise ConnectFailed(f"not a WebSocket URL: {url}") from None
    except (OSError, TimeoutError, WebSocketException) as error:
        detail = str(error) or type(error).__name__
        raise ServerUnreachable(f"cannot reach {url}: {detail}") from None
    link = Link(ws, asyncio.get_running_loop().time())
    link.reader = asyncio.create_task(
        _read(link, on_frame, on_lost), name=f"mediaday-link-{link.number}"
    )
    return link


async def _read(
    link: Link,
    on_frame: Callable[[Link, str | bytes], None],
    on_lost: Callable[[Link, str], None],
) -> None:
    try:
        async for message in link.ws:
            link.heard()
            try:
                on_frame(link, message)
            except Exception:
                logger.exception("a frame could not be handled")
    except ConnectionClosed:
        pass
    finally:
        code, why = link.ws.close_code, link.ws.close_reason
        on_lost(link, f"closed ({code} {why})".strip() if code else "link lost")


async def heartbeat(
    interval: tuple[float, float],
    pong_timeout: float,
    uniform: Uniform,
    *,
    live: Callable[[], Link | None],
    ping: Callable[[Link, float], Awaitable[float]],
    after_pong: Callable[[Link], None],
) -> None:
    """Ping the live link every `interval` (drawn uniformly) until cancelled; abort it when
    nothing at all arrives within `pong_timeout` (`silent`), and call `after_pong` when
    the pong comes."""
    low, high = interval
    while True:
        await asyncio.sleep(uniform(low, high))
        link = live()
        if link is None:
            continue
        sent = asyncio.get_running_loop().time()
        control = await link.probe()
        try:
            await ping(link, pong_timeout)
        except RequestTimeout:
            if await confirmed_silent(link, sent, control, pong_timeout / 2):
                logger.warning("nothing heard within %.1fs: the link is dead", pong_timeout)
                link.abort(f"no pong within {pong_timeout:g}s (nothing heard)")
            else:
                logger.info("a slow pong on link %d, which is live: keeping it", link.number)
            continue
        except ClientError:
            continue
        after_pong(link)


async def confirmed_silent(
    link: Link, since: float, control: Awaitable[float] | None, grace: float
) -> bool:
    """`silent`, confirmed by one more WebSocket ping and up to `grace` seconds for anything
    at all. A client whose own event loop stalled (a busy laptop) would otherwise take its
    lag for the server's silence: the bytes have arrived, they are just not read yet."""
    if not silent(link, since, control):
        return False
    again = asyncio.get_running_loop().time()
    probe = await link.probe()
    if isinstance(probe, asyncio.Future):
        await asyncio.wait({probe}, timeout=grace)
    elif probe is not None:
        await asyncio.sleep(grace)
    return silent(link, again, probe)


def silent(link: Link, since: float, control: Awaitable[float] | None) -> bool:
    """True when nothing arrived on `link` since `since`: no frame, and no answer to the
    WebSocket ping sent then."""
    if link.heard_at > since:
        return False
    if isinstance(control, asyncio.Future) and control.done() and not control.cancelled():
        return control.exception() is not None
    return True
