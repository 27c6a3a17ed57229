"""Bad input at volume: hostile connections (kiosk, crew and producer tokens) send thousands
of fuzzed frames while honest clients work. Every frame gets an error with a stable code
(or a close: 1009 when too big, 1003 when binary), never a stack trace; nothing is written;
the stack does not crash; the honest clients never notice and converge."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from client.link import url_with_token
from mediaday.backoff import Backoff
from tests.reliability.fleet import fault_options, token_maker
from tests.reliability.fuzz import KNOWN_CODES, Fuzzed, HostileFrames
from tests.reliability.roster import STATIONS
from tests.reliability.scenario import Stopwatch, connected_fleet, converged, producers_workload
from tests.support.convergence import TableReader

pytestmark = [pytest.mark.reliability, pytest.mark.e2e, pytest.mark.slow]

WINDOW = 4  # frames in flight per hostile connection
# A handshake the gateway sheds (the emulator's concurrency cap answers 502, as API Gateway
# does when `$connect` is throttled) is retried after the project's backoff, as any client
# would: a refusal under load is the server protecting itself, not a hostile's verdict.
HANDSHAKE_BACKOFF = Backoff(base=0.1, cap=2.0)
HANDSHAKE_ATTEMPTS = 12
SHED_STATUSES = frozenset({429, 502, 503})
OVERSIZE_EVERY = 150
_LEAKS = ("Traceback", 'File "', "Exception", "botocore", "pydantic")


@dataclass
class HostileReport:
    sent: int = 0
    answered: int = 0
    lost_in_close: int = 0  # in flight when the gateway closed the connection
    shed_handshakes: int = 0  # handshakes refused by the gateway's cap, then retried
    shed_frames: int = 0  # answered by the gateway's throttle frame: the handler never ran
    closes: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    not_errors: list[str] = field(default_factory=list)

    def add(self, other: HostileReport) -> None:
        self.sent += other.sent
        self.answered += other.answered
        self.lost_in_close += other.lost_in_close
        self.shed_handshakes += other.shed_handshakes
        self.shed_frames += other.shed_frames
        self.closes.update(other.closes)
        self.codes.update(other.codes)
        self.kinds.update(other.kinds)
        self.unexpected += other.unexpected
        self.not_errors += other.not_errors


class Hostile:
    """One hostile client: sends its frames (`WINDOW` unanswered at most), reconnecting
    whenever the gateway closes on it, and judges every answer."""

    def __init__(self, url: str, token: str, frames: list[Fuzzed]) -> None:
        self.url = url_with_token(url, token)
        self.pending = deque(frames)
        self.report = HostileReport()
        self.in_flight = 0
        self.expected: dict[str, Fuzzed] = {}

    async def run(self) -> HostileReport:
        # a connection per too-big message (the gateway closes on it), and a few spare
        connections = 3 + sum(1 for frame in self.pending if frame.expect is None)
        for _ in range(connections):
            if not self.pending:
                break
            ws = await self._connect()
            async with ws:
                await self._one_connection(ws)
                if ws.close_code not in (None, 1000):
                    self.report.closes[ws.close_code] += 1
        assert not self.pending, f"{len(self.pending)} frames left after {connections} connections"
        return self.report

    async def _connect(self) -> ClientConnection:
        """Open a connection, waiting out handshakes the gateway sheds under load."""
        for attempt in range(1, HANDSHAKE_ATTEMPTS):
            try:
                return await connect(self.url, max_size=None)
            except InvalidStatus as refused:
                if refused.response.status_code not in SHED_STATUSES:
                    raise
                self.report.shed_handshakes += 1
                await asyncio.sleep(HANDSHAKE_BACKOFF.delay(attempt))
        return await connect(self.url, max_size=None)  # the last attempt's refusal is raised

    async def _one_connection(self, ws: ClientConnection) -> None:
        self.in_flight = 0
        reader = asyncio.create_task(self._read(ws))
        try:
            async with asyncio.timeout(120):
                while self.pending and not reader.done():
                    while self.in_flight >= WINDOW and not reader.done():
                        await asyncio.sleep(0.002)
                    frame = self.pending.popleft()
                    await self._send(ws, frame)
                    if frame.expect is None:  # too big or binary: the gateway closes
                        await asyncio.wait({reader}, timeout=10)
                while self.in_flight > 0 and not reader.done():  # the last answers
                    await asyncio.sleep(0.005)
        except ConnectionClosed:
            pass
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            self.report.lost_in_close += self.in_flight

    async def _send(self, ws: ClientConnection, frame: Fuzzed) -> None:
        self.report.kinds[frame.kind] += 1
        self.report.sent += 1
        if frame.request_id is not None:
            self.expected[frame.request_id] = frame
        if frame.expect is not None:
            self.in_flight += 1  # a too-big frame is answered by a close, not a frame
        await ws.send(frame.data)

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                self.report.answered += 1
                self.in_flight -= 1
                judge(raw, self.expected, self.report)


def _shed(frame: dict[str, Any]) -> bool:
    """API Gateway's frame for an invocation past Lambda's concurrency (the emulator's cap,
    infra/local/concurrency.py): a hostile flooding its connection is throttled before the
    handler, as in AWS. The same frame after a handler failure is caught by the log check."""
    return frame.get("message") == "Internal server error" and "type" not in frame


def judge(raw: str | bytes, expected: dict[str, Fuzzed], report: HostileReport) -> None:
    try:
        frame: dict[str, Any] = json.loads(raw)
    except ValueError:
        report.not_errors.append(str(raw)[:120])
        return
    if _shed(frame):
        report.shed_frames += 1
        return
    if frame.get("type") != "error":
        report.not_errors.append(str(raw)[:120])
        return
    code, message = frame.get("code"), str(frame.get("message", ""))
    report.codes[str(code)] += 1
    fuzzed = expected.pop(frame["id"], None) if frame.get("id") else None
    allowed = fuzzed.expect if fuzzed is not None and fuzzed.expect else KNOWN_CODES
    # `busy` is the server shedding load (the frame waited past MEDIADAY_SHED_AFTER_MS, or
    # the table did not answer): a right answer to any frame; writes are checked by the rev
    allowed = allowed | {"busy"}
    if code not in allowed or any(leak in message for leak in _LEAKS):
        kind = fuzzed.kind if fuzzed else "anonymous"
        report.unexpected.append(f"{kind}: {code} {message[:160]}")


async def test_thousands_of_fuzzed_frames_write_nothing_crash_nothing_and_disturb_no_one(
    stack, sizes, figures
):
    reader = TableReader(lambda: stack.dynamodb_endpoint)
    log = stack.data_dir / "serve.log"
    log_offset = log.stat().st_size
    clients = sizes.fuzz_clients
    # honest clients with a patient heartbeat: the emulator runs every handler in one pool
    # of 64 threads that the hostiles share (on AWS each invocation has its own)
    options = fault_options(clients, pong_timeout=5.0, request_timeout=10.0)
    async with connected_fleet(
        stack, clients=clients, producers=2, options=options, label="honest"
    ) as fleet:
        workload = await producers_workload(fleet, sizes.fuzz_changes, seed=61)
        workload.pace = 0.1
        rev_before = await asyncio.to_thread(reader.rev)
        # Given hostile connections of every role, each with its share of fuzzed frames
        hostile_token = token_maker(stack, "hostile")
        roles = [("kiosk", None), ("crew", STATIONS[1]), ("producer", None)]
        share = sizes.fuzz_frames // sizes.fuzz_hostiles
        attacks = []
        for n in range(sizes.fuzz_hostiles):
            role, station = roles[n % len(roles)]
            frames = list(
                HostileFrames(random.Random(n), role, station).frames(
                    share, oversize_every=OVERSIZE_EVERY
                )
            )
            attacks.append(Hostile(stack.ws_url, hostile_token(role, station), frames).run())
        # When they fire while the honest producers write
        clock = Stopwatch()
        results = await asyncio.gather(workload.run(within=sizes.converge_timeout * 4), *attacks)
        fuzz_seconds = clock.seconds
        total = HostileReport()
        for result in results[1:]:
            assert isinstance(result, HostileReport)
            total.add(result)
        ledger = workload.ledger

        # Then every frame was answered with a stable error code (or closed: too big, binary)
        closing = total.kinds["oversized"] + total.kinds["binary"]
        assert total.sent == sizes.fuzz_hostiles * share
        assert total.answered + total.lost_in_close + closing == total.sent
        assert total.unexpected == []
        assert total.not_errors == []
        assert "internal" not in total.codes
        # one close per too-big message (1009) or binary frame (1003), or 1006 when the
        # gateway's close raced the rest of the message still being sent
        assert set(total.closes) <= {1003, 1006, 1009}
        assert sum(total.closes.values()) == closing
        # ... nothing but the honest writes was written ...
        report = await converged(fleet, ledger, reader, sizes.converge_timeout)
        rev_after = await asyncio.to_thread(reader.rev)
        assert rev_after - rev_before == len(ledger.applied)
        assert not [i for i in report.table.values() if i.updated_by.startswith("hostile")]
        # ... the stack neither crashed nor logged a stack trace ...
        assert stack.running
        with log.open() as handle:
            handle.seek(log_offset)
            tail = handle.read()
        assert "Traceback" not in tail
        assert '"handler failed"' not in tail
        # ... every gateway error frame a hostile got was a throttle the gateway logged ...
        assert tail.count("invocation throttled") >= total.shed_frames
        # ... and the honest clients never noticed
        assert fleet.reconnects == 0, fleet.reasons()
        figures(
            clients=fleet.composition(),
            hostile_connections=sizes.fuzz_hostiles,
            fuzzed_frames=total.sent,
            frames_per_s=round(total.sent / fuzz_seconds, 1),
            kinds=dict(total.kinds),
            answers=dict(total.codes),
            closes=dict(total.closes),
            shed_handshakes_retried=total.shed_handshakes,
            shed_frames=total.shed_frames,
            writes_by_hostiles=rev_after - rev_before - len(ledger.applied),
            honest_changes=ledger.summary(),
            honest_reconnects=fleet.reconnects,
            changes_lost=0,
            converge_s=round(report.seconds, 2),
        )
