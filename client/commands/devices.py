"""`mediaday devices` and `mediaday revoke`: who is connected, and shutting a device out.

`devices` subscribes to the producer-only `devices` topic over one link (client.link) and
prints the snapshot as a table; `--watch` then prints each change as it happens. The
topic holds presence, not items, so it bypasses the client's item mirror.

`revoke --subject S [--until T]`, `--token-id J` or `--connection C` asks the server to
revoke (docs/protocol.md, "Devices, presence and access"): the device's sockets are closed
at once and its token is refused from then on. No key rotation, no other device touched.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from client.commands.common import (
    CLI_OPTIONS,
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
    add_connection_arguments,
    command,
    connection_of,
    fail,
    open_client,
)
from client.link import Link, open_link
from client.matching import new_request_id

_COLUMNS = ("connection_id", "role", "station", "subject", "label", "since", "active", "agent")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    devices = subparsers.add_parser("devices", help="list the media day's devices (producer)")
    devices.add_argument("--watch", action="store_true", help="then print changes live")
    devices.add_argument("--json", action="store_true", help="print the devices as JSON")
    add_connection_arguments(devices)
    devices.set_defaults(handler=run_devices)

    revoke = subparsers.add_parser(
        "revoke", help="revoke a subject or a token and close its sockets (producer)"
    )
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--subject", help="every token naming this subject")
    target.add_argument("--token-id", help="one token (its jti, as `devices` shows it)")
    target.add_argument("--connection", help="the token of this connection id")
    revoke.add_argument(
        "--until", type=parse_until, help="ISO 8601 time the revocation ends (default: never)"
    )
    add_connection_arguments(revoke)
    revoke.set_defaults(handler=run_revoke)


def parse_until(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (use e.g. 2026-11-25T18:00:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@command("revoke")
async def run_revoke(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {}
    if args.subject:
        fields["subject"] = args.subject
    elif args.token_id:
        fields["token_id"] = args.token_id
    else:
        fields["connection_id"] = args.connection
    if args.until is not None:
        fields["until"] = args.until.isoformat()
    async with open_client(args) as client:
        ack = await client.request("revoke", **fields)
    item = ack.item or {}
    what = f"subject {item['subject']}" if "subject" in item else f"token {item['token_id']}"
    until = f" until {args.until.isoformat()}" if args.until else ""
    closed = item.get("closed", [])
    print(f"revoked {what}{until}: {len(closed)} connection(s) closed")
    return EXIT_OK


@command("devices")
async def run_devices(args: argparse.Namespace) -> int:
    url, token = connection_of(args)
    frames: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def on_frame(link: Link, message: str | bytes) -> None:
        frames.put_nowait(json.loads(message))

    link = await open_link(
        url,
        token,
        open_timeout=CLI_OPTIONS.open_timeout,
        close_timeout=CLI_OPTIONS.close_timeout,
        max_message_bytes=CLI_OPTIONS.max_message_bytes,
        on_frame=on_frame,
        on_lost=lambda link, why: frames.put_nowait(None),
    )
    try:
        devices = await _snapshot(link, frames)
        if devices is None:
            return EXIT_REFUSED
        print(json.dumps(devices, indent=2) if args.json else format_devices(devices))
        while args.watch:
            frame = await frames.get()
            if frame is None:
                return fail("devices", "the connection closed", EXIT_REFUSED)
            if frame.get("type") == "device":
                print(format_change(frame), flush=True)
    finally:
        await link.close()
    return EXIT_OK


async def _snapshot(
    link: Link, frames: asyncio.Queue[dict[str, Any] | None]
) -> list[dict[str, Any]] | None:
    """Subscribe and collect the snapshot pages up to the ack; None after a refusal."""
    request_id = new_request_id()
    await link.send(json.dumps({"action": "subscribe", "id": request_id, "topics": ["devices"]}))
    devices: list[dict[str, Any]] = []
    deadline = time.monotonic() + CLI_OPTIONS.request_timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            frame = await asyncio.wait_for(frames.get(), max(remaining, 0.001))
        except TimeoutError:
            raise UsageError("no answer from the server in time") from None
        if frame is None:
            fail("devices", "the connection closed before the answer", EXIT_REFUSED)
            return None
        if frame.get("id") != request_id:
            continue
        if frame.get("type") == "snapshot":
            devices.extend(frame.get("items", []))
        elif frame.get("type") == "error":
            fail("devices", f"{frame.get('code')}: {frame.get('message')}", EXIT_REFUSED)
            return None
        elif frame.get("type") == "ack":
            return devices


def format_devices(devices: list[dict[str, Any]]) -> str:
    """A plain table, oldest connection first (column widths fit the values)."""
    rows = [_COLUMNS, *(_row(device) for device in devices)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.append(f"{len(devices)} device(s)")
    return "\n".join(line.rstrip() for line in lines)


def format_change(frame: dict[str, Any]) -> str:
    device = frame.get("device", {})
    who = device.get("label") or device.get("subject", "?")
    station = f" at {device['station']}" if device.get("station") else ""
    return (
        f"{_clock(frame.get('server_time'))} {frame.get('change')}: {who} "
        f"({device.get('role')}{station}, {device.get('connection_id')})"
    )


def _row(device: dict[str, Any]) -> tuple[str, ...]:
    return (
        str(device.get("connection_id", "")),
        str(device.get("role", "")),
        str(device.get("station") or "-"),
        str(device.get("subject", "")),
        str(device.get("label") or "-"),
        _clock(device.get("connected_at")),
        _clock(device.get("last_active")),
        str(device.get("user_agent") or "-")[:40],
    )


def _clock(epoch_ms: Any) -> str:
    if not isinstance(epoch_ms, int):
        return "-"
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%H:%M:%S")
