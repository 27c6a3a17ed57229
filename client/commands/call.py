"""`mediaday call push | ack | cancel`: interview calls from the command line.

`ack` and `cancel` first read the call's current version (a snapshot of the station's
topic for a crew, of `calls` otherwise), so the write is checked against what is there
now; if someone changed the call in between, the answer is a conflict, never a lost write.
"""

from __future__ import annotations

import argparse

from client.commands.common import (
    EXIT_OK,
    EXIT_REFUSED,
    add_connection_arguments,
    fail,
    open_client,
    run,
    token_station,
)
from client.connection import MediaDayClient
from mediaday.models import Call


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("call", help="push, acknowledge or cancel interview calls")
    actions = parser.add_subparsers(dest="call_action", required=True)

    push = actions.add_parser("push", help="call an athlete to a station (producer)")
    push.add_argument("--talent", required=True, help="talent id")
    push.add_argument("--station", required=True, help="station id")
    push.add_argument("--note", default="", help="a short note for the crews")
    push.add_argument("--id", dest="call_id", help="the call's id (default: derived)")
    add_connection_arguments(push)
    push.set_defaults(handler=run_push)

    ack = actions.add_parser("ack", help="acknowledge a call (crew of its station, producer)")
    ack.add_argument("call_id", metavar="CALL_ID")
    ack.add_argument("--state", required=True, choices=["en-route", "arrived", "done"])
    add_connection_arguments(ack)
    ack.set_defaults(handler=run_ack)

    cancel = actions.add_parser("cancel", help="cancel a call (producer)")
    cancel.add_argument("call_id", metavar="CALL_ID")
    add_connection_arguments(cancel)
    cancel.set_defaults(handler=run_cancel)


def run_push(args: argparse.Namespace) -> int:
    async def main() -> int:
        async with open_client(args) as client:
            ack = await client.push_call(
                args.talent, args.station, note=args.note, call_id=args.call_id
            )
        item = ack.item or {}
        print(
            f"call {item.get('id')} pushed: talent {args.talent} to station {args.station} "
            f"(version {ack.version})"
        )
        return EXIT_OK

    return run("call push", main)


def run_ack(args: argparse.Namespace) -> int:
    async def main() -> int:
        async with open_client(args, _call_topics(args)) as client:
            call = _current_call(client, args.call_id)
            if call is None:
                return fail("call ack", f"no call {args.call_id!r}", EXIT_REFUSED)
            ack = await client.ack_call(call.id, call.version, args.state)
        print(f"call {call.id}: {args.state} (version {ack.version})")
        return EXIT_OK

    return run("call ack", main)


def run_cancel(args: argparse.Namespace) -> int:
    async def main() -> int:
        async with open_client(args, ["calls"]) as client:
            call = _current_call(client, args.call_id)
            if call is None:
                return fail("call cancel", f"no call {args.call_id!r}", EXIT_REFUSED)
            ack = await client.cancel_call(call.id, call.version)
        print(f"call {call.id}: cancelled (version {ack.version})")
        return EXIT_OK

    return run("call cancel", main)


def _call_topics(args: argparse.Namespace) -> list[str]:
    """A crew reads its own station's topic (all it may act on); others read `calls`."""
    station = token_station(args)
    return [f"station:{station}"] if station is not None else ["calls"]


def _current_call(client: MediaDayClient, call_id: str) -> Call | None:
    call = client.mirror.get("call", call_id)
    return call if isinstance(call, Call) else None
