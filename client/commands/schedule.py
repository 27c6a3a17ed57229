"""`mediaday schedule import FILE.csv | export | shift | arrive | done`: the day's slots.

`shift` is "running late": every slot of a station (or of every station) from a time on
moves by N minutes in one all-or-nothing request (`schedule.shift`). `--from` takes a
time of day in the media day's time zone (today, on the server's clock) or a full date
and time; without it the server shifts from now.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime, tzinfo
from typing import Any

from client.commands.common import (
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
    add_connection_arguments,
    command,
    fail,
    open_client,
    run,
    token_station,
)
from client.commands.sheets import register_import_export
from client.dashboard import media_day_timezone
from mediaday.protocol import SHIFT_MINUTES

_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})$")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = register_import_export(subparsers, "schedule", "the schedule (slots)")
    shift = actions.add_parser(
        "shift", help="running late: move the rest of a station's day by N minutes (producer)"
    )
    scope = shift.add_mutually_exclusive_group(required=True)
    scope.add_argument("--station", help="the station whose day moves")
    scope.add_argument("--all-stations", action="store_true", help="move every station's day")
    shift.add_argument(
        "--minutes",
        type=int,
        required=True,
        help=f"how late (negative: early), {SHIFT_MINUTES[0]} to {SHIFT_MINUTES[1]}",
    )
    shift.add_argument(
        "--from",
        dest="starting_at",
        help="slots starting at or after this time move (HH:MM today, or a date and time; "
        "default: now)",
    )
    shift.add_argument(
        "--include-current", action="store_true", help="also move the slot under way"
    )
    shift.add_argument(
        "--allow-overlap",
        action="store_true",
        help="shift even where an athlete or the station would be double-booked",
    )
    add_connection_arguments(shift)
    shift.set_defaults(handler=run_shift)
    for mark, says in (("arrive", "has arrived"), ("done", "is done")):
        marking = actions.add_parser(
            mark, help=f"the athlete of a slot {says} (crew of its station, producer)"
        )
        marking.add_argument("slot_id", metavar="SLOT", help="slot id or a unique prefix of it")
        add_connection_arguments(marking)
        marking.set_defaults(handler=lambda args, mark=mark: run_mark(args, mark))


@command("schedule shift")
async def run_shift(args: argparse.Namespace) -> int:
    async with open_client(args, ["roster"]) as client:
        tz = media_day_timezone(client.mirror)
        fields: dict[str, Any] = {"minutes": args.minutes}
        if args.station:
            fields["station_id"] = args.station
        if args.starting_at:
            moment = parse_moment(args.starting_at, tz, client.server_time())
            fields["starting_at"] = moment.isoformat()
        if args.include_current:
            fields["include_current"] = True
        if args.allow_overlap:
            fields["allow_overlap"] = True
        ack = await client.request("schedule.shift", **fields)
    moved = ack.items or []
    where = f"station {args.station}" if args.station else "every station"
    late = f"{abs(args.minutes)} min {'later' if args.minutes > 0 else 'earlier'}"
    print(f"shifted {len(moved)} slot(s) of {where} {late} (rev {ack.rev})")
    for item in moved:
        starts = datetime.fromisoformat(item["starts_at"]).astimezone(tz)
        print(f"  {item['id']}  {item['station_id']}  now {starts:%H:%M}")
    return EXIT_OK


def parse_moment(text: str, tz: tzinfo, server_now: float) -> datetime:
    """`HH:MM` today (server clock, media day's zone), or an ISO date and time (zone
    defaulting to the media day's)."""
    match = _TIME_OF_DAY.match(text.strip())
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise UsageError(f"--from {text!r}: not a time of day")
        today = datetime.fromtimestamp(server_now, tz)
        return today.replace(hour=hour, minute=minute, second=0, microsecond=0)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--from {text!r}: use HH:MM or e.g. 2026-05-04T14:30") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def run_mark(args: argparse.Namespace, mark: str) -> int:
    """`slot.arrive` / `slot.done` from the slot's current version (a conflict if it
    changed meanwhile)."""

    async def main() -> int:
        station = token_station(args)
        async with open_client(args, [f"station:{station}" if station else "schedule"]) as client:
            slots = [s for s in client.mirror.slots(station) if s.id.startswith(args.slot_id)]
            exact = [s for s in slots if s.id == args.slot_id]
            if len(exact or slots) != 1:
                found = "no slot" if not slots else f"{len(slots)} slots"
                return fail(f"schedule {mark}", f"{found} match {args.slot_id!r}", EXIT_REFUSED)
            (slot,) = exact or slots
            ack = await client.request(f"slot.{mark}", slot_id=slot.id, version=slot.version)
        item = ack.item or {}
        moment = item.get("actual_start" if mark == "arrive" else "actual_end")
        print(f"slot {slot.id}: {'arrived' if mark == 'arrive' else 'done'} at {moment}")
        return EXIT_OK

    return run(f"schedule {mark}", main)
