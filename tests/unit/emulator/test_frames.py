"""The 32 KB frame guard reads frame headers across arbitrary chunk boundaries."""

from __future__ import annotations

import os
import struct

import pytest

from infra.local.frames import FrameHeaderScanner

LIMIT = 32 * 1024


def frame(payload_length: int, *, opcode: int = 0x1, fin: bool = True, mask: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    if payload_length < 126:
        header = bytes([first, (0x80 if mask else 0) | payload_length])
    elif payload_length < 65536:
        header = bytes([first, (0x80 if mask else 0) | 126]) + struct.pack("!H", payload_length)
    else:
        header = bytes([first, (0x80 if mask else 0) | 127]) + struct.pack("!Q", payload_length)
    return header + (os.urandom(4) if mask else b"") + b"x" * payload_length


def scan_in_chunks(data: bytes, size: int) -> int | None:
    scanner = FrameHeaderScanner(LIMIT)
    for start in range(0, len(data), size):
        found = scanner.scan(data[start : start + size])
        if found is not None:
            return start + found
    return None


@pytest.mark.parametrize("chunk", [1, 3, 7, 1000, 1 << 20])
def test_frames_within_the_limit_pass_whatever_the_chunking(chunk):
    stream = frame(10) + frame(LIMIT, fin=False) + frame(LIMIT, opcode=0x0) + frame(125, opcode=0x9)
    assert scan_in_chunks(stream, chunk) is None


@pytest.mark.parametrize("chunk", [1, 5, 4096, 1 << 20])
def test_an_oversized_data_frame_is_found_at_its_header(chunk):
    first = frame(100)
    stream = first + frame(LIMIT + 1, mask=False) + frame(5)
    assert scan_in_chunks(stream, chunk) == len(first)


def test_a_continuation_frame_counts_too():
    stream = frame(100, fin=False) + frame(70_000, opcode=0x0)
    assert scan_in_chunks(stream, 1 << 20) == len(frame(100))
