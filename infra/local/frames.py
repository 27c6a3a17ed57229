"""API Gateway's 32 KB frame limit, which aiohttp cannot express by itself.

aiohttp reassembles fragmented messages and caps the whole message (`max_msg_size`), but
has no per-frame cap. API Gateway closes the connection with 1009 when a single frame is
larger than 32 KB, even if the message as a whole fits in 128 KB (a larger message must be
sent in several frames). FrameSizeGuard sits in front of aiohttp's frame parser, reads only
the frame headers, and fails the connection the same way aiohttp fails an oversized
message: a WebSocketError(1009) on the message queue, so `receive()` closes with 1009.
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import WSCloseCode
from aiohttp.http_websocket import WebSocketError

_DATA_OPCODES = frozenset({0x0, 0x1, 0x2})  # continuation, text, binary


class _Parser(Protocol):
    def feed_data(self, data: bytes) -> tuple[bool, bytes]: ...

    def feed_eof(self) -> None: ...


class _Queue(Protocol):
    def set_exception(self, exc: BaseException) -> None: ...


class FrameHeaderScanner:
    """Follows the frame boundaries of a client→server byte stream (RFC 6455 §5.2).

    `scan(data)` returns the offset in `data` at which an oversized data frame starts
    (negative when its header began in an earlier chunk), or None.
    """

    def __init__(self, max_frame_bytes: int) -> None:
        self._max = max_frame_bytes
        self._header = bytearray()
        self._skip = 0  # payload bytes of the current frame still to pass over

    def scan(self, data: bytes) -> int | None:
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
            if opcode in _DATA_OPCODES and length > self._max:
                return header_start
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


class FrameSizeGuard:
    """Wraps aiohttp's WebSocket frame parser; refuses data frames over the limit."""

    def __init__(self, parser: _Parser, queue: _Queue, max_frame_bytes: int) -> None:
        self._parser = parser
        self._queue = queue
        self._scanner = FrameHeaderScanner(max_frame_bytes)
        self._max = max_frame_bytes
        self._tripped = False

    def feed_data(self, data: Any) -> tuple[bool, bytes]:
        if self._tripped:
            return True, b""
        chunk = bytes(data)
        oversized_at = self._scanner.scan(chunk)
        if oversized_at is None:
            return self._parser.feed_data(chunk)
        self._tripped = True
        if oversized_at > 0:
            self._parser.feed_data(chunk[:oversized_at])
        self._queue.set_exception(
            WebSocketError(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"frame larger than {self._max} bytes: send big messages in several frames",
            )
        )
        return True, b""

    def feed_eof(self) -> None:
        self._parser.feed_eof()
