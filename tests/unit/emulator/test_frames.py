"""The frame guard reads frame headers across arbitrary chunk boundaries (32 KB frames,
text only), and `fragments` cuts a message out into frames as API Gateway does."""

from __future__ import annotations

import os
import struct

import pytest

from infra.local.frames import BINARY, CONTINUATION, TEXT, FrameHeaderScanner, fragments

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


def scan_in_chunks(data: bytes, size: int) -> tuple[int, int] | None:
    """(offset of the refused frame, close code), or None."""
    scanner = FrameHeaderScanner(LIMIT)
    for start in range(0, len(data), size):
        found = scanner.scan(data[start : start + size])
        if found is not None:
            return start + found.offset, found.code
    return None


def parse(frames: list[bytes]) -> list[tuple[bool, int, bytes]]:
    """(FIN, opcode, payload) of unmasked server frames."""
    parsed = []
    for raw in frames:
        first, second = raw[0], raw[1]
        assert second & 0x80 == 0  # servers never mask
        length, start = second & 0x7F, 2
        if length == 126:
            length, start = struct.unpack("!H", raw[2:4])[0], 4
        elif length == 127:
            length, start = struct.unpack("!Q", raw[2:10])[0], 10
        assert len(raw) == start + length
        parsed.append((bool(first & 0x80), first & 0x0F, raw[start:]))
    return parsed


# -- in: the guard ----------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 3, 7, 1000, 1 << 20])
def test_frames_within_the_limit_pass_whatever_the_chunking(chunk):
    stream = frame(10) + frame(LIMIT, fin=False) + frame(LIMIT, opcode=0x0) + frame(125, opcode=0x9)
    assert scan_in_chunks(stream, chunk) is None


@pytest.mark.parametrize("chunk", [1, 5, 4096, 1 << 20])
def test_an_oversized_data_frame_is_found_at_its_header(chunk):
    first = frame(100)
    stream = first + frame(LIMIT + 1, mask=False) + frame(5)
    assert scan_in_chunks(stream, chunk) == (len(first), 1009)


def test_a_continuation_frame_counts_too():
    stream = frame(100, fin=False) + frame(70_000, opcode=0x0)
    assert scan_in_chunks(stream, 1 << 20) == (len(frame(100)), 1009)


@pytest.mark.parametrize("chunk", [1, 2, 4096])
def test_a_binary_frame_of_any_size_is_refused_with_1003(chunk):
    first = frame(40)
    stream = first + frame(3, opcode=BINARY) + frame(5)
    assert scan_in_chunks(stream, chunk) == (len(first), 1003)


# -- out: fragments -----------------------------------------------------------------------
def test_a_message_within_the_limit_is_one_final_frame():
    assert parse(fragments(b"x" * LIMIT, TEXT, LIMIT)) == [(True, TEXT, b"x" * LIMIT)]


def test_a_128_kb_message_goes_out_as_a_first_frame_and_continuations_of_32_kb():
    payload = os.urandom(128 * 1024 + 1)
    parsed = parse(fragments(payload, TEXT, LIMIT))
    assert [(fin, opcode, len(data)) for fin, opcode, data in parsed] == [
        (False, TEXT, LIMIT),
        (False, CONTINUATION, LIMIT),
        (False, CONTINUATION, LIMIT),
        (False, CONTINUATION, LIMIT),
        (True, CONTINUATION, 1),
    ]
    assert b"".join(data for _, _, data in parsed) == payload


def test_an_empty_message_is_one_empty_frame():
    assert parse(fragments(b"", TEXT, LIMIT)) == [(True, TEXT, b"")]
