"""API Gateway's frame rules, which aiohttp cannot express by itself.

In: aiohttp reassembles fragmented messages and caps the whole message (`max_msg_size`),
but has no per-frame cap and routes binary frames. API Gateway closes the connection with
1009 when a single frame is larger than 32 KB, even if the message as a whole fits in
128 KB (a larger message must be sent in several frames), and with 1003 at the first
binary frame (it supports text only). FrameGuard sits in front of aiohttp's frame parser,
reads only the frame headers, and fails the connection the way aiohttp fails an oversized
message: a WebSocketError on the message queue, so `receive()` closes with its code.

Out: API Gateway delivers an `@connections` message over 32 KB in frames of at most 32 KB
(one message: a first frame without FIN, then continuation frames); `fragments` builds
those frames, which aiohttp's writer cannot (it always sets FIN).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import WSCloseCode
from aiohttp.http_websocket import WebSocketError

CONTINUATION, TEXT, BINARY = 0x0, 0x1, 0x2
_DATA_OPCODES = frozenset({CONTINUATION, TEXT, BINARY})
_FIN = 0x80


class _Parser(Protocol):
    def feed_data(self, data: bytes) -> tuple[bool, bytes]: ...

    def feed_eof(self) -> None: ...


class _Queue(Protocol):
    def set_exception(self, exc: BaseException) -> None: ...


@dataclass(frozen=True)
class Refusal:
    """Where in a chunk the refused frame starts (negative: in an earlier chunk), and the
    close API Gateway answers it with."""

    offset: int
    code: int
    reason: str


class FrameHeaderScanner:
    """Follows the frame boundaries of a client→server byte stream (RFC 6455 §5.2).

    `scan(data)` returns the first frame API Gateway refuses (a binary frame, or a data
    frame over the size limit), or None.
    """

    def __init__(self, max_frame_bytes: int) -> None:
        self._max = max_frame_bytes
        self._header = bytearray()
        self._skip = 0  # payload bytes of the current frame still to pass over

    def scan(self, data: bytes) -> Refusal | None:
        position = 0
        size = len(data)
        while position < size:
            if self._skip:
                step = min(self._skip, size - position)
                self._skip -= step
                position += step
                continue
            header_start = position - len(self._header)
            self._header.append(data[position])
            position += 1
            needed = self._header_length()
            if needed is None or len(self._header) < needed:
                continue
            opcode, length = self._parse_header()
            self._header.clear()
            if opcode == BINARY:
                return Refusal(
                    header_start,
                    WSCloseCode.UNSUPPORTED_DATA,
                    "binary frames are not supported: send text frames",
                )
            if opcode in _DATA_OPCODES and length > self._max:
                return Refusal(
                    header_start,
                    WSCloseCode.MESSAGE_TOO_BIG,
                    f"frame larger than {self._max} bytes: send big messages in several frames",
                )
            self._skip = length
        return None

    def _header_length(self) -> int | None:
        if len(self._header) < 2:
            return None
        second = self._header[1]
        length_flag = second & 0x7F
        extended = 2 if length_flag == 126 else 8 if length_flag == 127 else 0
        mask = 4 if second & 0x80 else 0
        return 2 + extended + mask

    def _parse_header(self) -> tuple[int, int]:
        opcode = self._header[0] & 0x0F
        length = self._header[1] & 0x7F
        if length == 126:
            length = int.from_bytes(self._header[2:4], "big")
        elif length == 127:
            length = int.from_bytes(self._header[2:10], "big")
        return opcode, length


class FrameGuard:
    """Wraps aiohttp's WebSocket frame parser; refuses what API Gateway refuses."""

    def __init__(self, parser: _Parser, queue: _Queue, max_frame_bytes: int) -> None:
        self._parser = parser
        self._queue = queue
        self._scanner = FrameHeaderScanner(max_frame_bytes)
        self._tripped = False

    def feed_data(self, data: Any) -> tuple[bool, bytes]:
        if self._tripped:
            return True, b""
        chunk = bytes(data)
        refusal = self._scanner.scan(chunk)
        if refusal is None:
            return self._parser.feed_data(chunk)
        self._tripped = True
        if refusal.offset > 0:
            self._parser.feed_data(chunk[: refusal.offset])
        self._queue.set_exception(WebSocketError(refusal.code, refusal.reason))
        return True, b""

    def feed_eof(self) -> None:
        self._parser.feed_eof()


def fragments(payload: bytes, opcode: int, max_frame_bytes: int) -> list[bytes]:
    """One server→client message (unmasked, RFC 6455 §5.4) in frames of at most
    `max_frame_bytes` payload bytes: the first carries the opcode, the rest are
    continuations, the last has FIN. Text is cut on byte boundaries, inside a UTF-8
    sequence if need be, which RFC 6455 allows and clients must reassemble."""
    pieces = [
        payload[start : start + max_frame_bytes]
        for start in range(0, len(payload), max_frame_bytes)
    ] or [b""]
    frames = []
    for index, piece in enumerate(pieces):
        first = (opcode if index == 0 else CONTINUATION) | (_FIN if index == len(pieces) - 1 else 0)
        frames.append(_header(first, len(piece)) + piece)
    return frames


def _header(first: int, length: int) -> bytes:
    if length < 126:
        return struct.pack("!BB", first, length)
    if length < 1 << 16:
        return struct.pack("!BBH", first, 126, length)
    return struct.pack("!BBQ", first, 127, length)
