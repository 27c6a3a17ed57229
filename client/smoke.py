"""The post-deploy smoke test: one real WebSocket client walks the whole path once.

It connects with a freshly minted token (API Gateway -> $connect -> the signing key),
pings ($default -> the message function -> its answer), subscribes to `notices` (the
connections table and a snapshot), posts one notice (a transaction on the coordination
table), receives that notice's `event` (the stream -> the broadcaster -> `@connections`)
and disconnects ($disconnect). Each step has its own deadline, and a failure names the
step, so a broken deploy says where it broke.

The notice expires in a few minutes and belongs to the token's media day: mint the token
for a day of its own (`mediaday token --media-day smoke ...`) so no real screen shows it.
The deploy workflow runs it against dev after each apply; `make test` runs it against the
local stack (tests/e2e/test_smoke.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from client.errors import ClientError
from client.link import Link, open_link
from client.matching import new_request_id

TOPIC = "notices"
NOTICE_LIFETIME = timedelta(minutes=5)
# API Gateway's own frame limit: the smoke test's frames are far below it.
MAX_MESSAGE_BYTES = 128 * 1024


class SmokeFailed(Exception):
    """A step of the smoke test did not do what it should; `step` names it."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


@dataclass
class SmokeReport:
    """Milliseconds each step took, in order, and the notice written."""

    steps: dict[str, float] = field(default_factory=dict)
    notice_id: str = ""


Frame = dict[str, Any]


class _Session:
    """One link, its frames in a queue, and `expect` to wait for the one a step needs."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.frames: asyncio.Queue[Frame] = asyncio.Queue()
        self.lost = ""

    def on_frame(self, _link: Link, message: str | bytes) -> None:
        try:
            frame = json.loads(message)
        except ValueError:
            frame = {"type": "unreadable", "raw": repr(message)[:200]}
        self.frames.put_nowait(frame if isinstance(frame, dict) else {"type": "unreadable"})

    def on_lost(self, _link: Link, reason: str) -> None:
        self.lost = reason
        self.frames.put_nowait({"type": "lost", "reason": reason})

    async def expect(self, step: str, wanted: Callable[[Frame], bool]) -> Frame:
        """The first frame `wanted` accepts; an error frame or a lost link fails `step`."""
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    frame = await self.frames.get()
                    if frame.get("type") == "lost":
                        raise SmokeFailed(step, f"the connection closed ({frame['reason']})")
                    if frame.get("type") == "error":
                        code, message = frame.get("code"), frame.get("message")
                        raise SmokeFailed(step, f"the server answered {code}: {message}")
                    if wanted(frame):
                        return frame
        except TimeoutError:
            raise SmokeFailed(step, f"no answer within {self.timeout:g} s") from None


async def _timed(report: SmokeReport, step: str, work: Awaitable[Any]) -> Any:
    started = time.perf_counter()
    result = await work
    report.steps[step] = round((time.perf_counter() - started) * 1000, 1)
    return result


async def run_smoke(url: str, token: str, *, step_seconds: float = 10.0) -> SmokeReport:
    """Walk connect, ping, subscribe, write, event, disconnect against `url`, each step
    within `step_seconds`; raise SmokeFailed naming the first step that failed."""
    report = SmokeReport()
    session = _Session(step_seconds)
    try:
        link = await _timed(
            report,
            "connect",
            open_link(
                url,
                token,
                open_timeout=step_seconds,
                close_timeout=step_seconds,
                max_message_bytes=MAX_MESSAGE_BYTES,
                on_frame=session.on_frame,
                on_lost=session.on_lost,
            ),
        )
    except ClientError as error:
        raise SmokeFailed("connect", str(error)) from None
    try:
        await _timed(report, "ping", _request(link, session, "ping", {}, "pong"))
        await _timed(report, "subscribe", _subscribe(link, session))
        expires = datetime.now(UTC) + NOTICE_LIFETIME
        notice = {
            "text": f"Deploy smoke test {expires:%H:%M:%S}",
            "expires_at": expires.isoformat(),
        }
        ack = await _timed(
            report, "write", _request(link, session, "notice.post", {"notice": notice}, "ack")
        )
        report.notice_id = str((ack.get("item") or {}).get("id", ""))
        if not report.notice_id:
            raise SmokeFailed("write", f"the ack carries no item: {ack}")
        await _timed(
            report,
            "event",
            session.expect(
                "event",
                lambda frame: (
                    frame.get("type") == "event"
                    and frame.get("topic") == TOPIC
                    and frame.get("item_id") == report.notice_id
                ),
            ),
        )
    finally:
        await _timed(report, "disconnect", link.close())
    return report


async def _request(
    link: Link, session: _Session, action: str, fields: dict[str, Any], answer: str
) -> Frame:
    request_id = new_request_id()
    await link.send(json.dumps({"action": action, "id": request_id, **fields}))
    return await session.expect(
        action, lambda frame: frame.get("type") == answer and frame.get("id") == request_id
    )


async def _subscribe(link: Link, session: _Session) -> None:
    """Subscribe to the topic and read its whole snapshot: every page the ack announces
    (the pages are posted while the request runs, so they may come before the ack)."""
    request_id = new_request_id()
    await link.send(json.dumps({"action": "subscribe", "id": request_id, "topics": [TOPIC]}))
    pages, announced = 0, None
    while announced is None or pages < announced:
        frame = await session.expect(
            "subscribe",
            lambda frame: (
                frame.get("id") == request_id and frame.get("type") in ("ack", "snapshot")
            ),
        )
        if frame["type"] == "ack":
            announced = int(frame.get("pages") or 0)
        else:
            pages += 1
