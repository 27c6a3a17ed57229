"""`mediaday call push | ack | cancel`: interview calls from the command line.

`push --talent` takes an id, a name or a shirt number (asking which one, at a terminal,
when several match); `ack` and `cancel` take a call id or any unique prefix of one, such
as the handle `mediaday watch` shows (`client.lookup`).

`ack` and `cancel` first read the call's current version (a snapshot of the station's
topic for a crew, of `calls` otherwise), so the write is checked against what is there
now; if someone changed the call in between, the answer is a conflict, never a lost write.
"""

from __future__ import annotations

import argparse
import sys

from client.commands.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    add_connection_arguments,
    command,
    fail,
    open_client,
    token_station,
)
from client.connection import MediaDayClient
from client.lookup import Ambiguous, NoMatch, match_talent, resolve_call
from mediaday.models import Call, Talent


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("call", help="push, acknowledge or cancel interview calls")
    actions = parser.add_subparsers(dest="call_action", required=True)

    push = actions.add_parser("push", help="call an athlete to a station (producer)")
    push.add_argument(
        "--talent", required=True, help="the athlete: talent id, name (or part) or shirt number"
    )
    push.add_argument("--station", required=True, help="station id")
    push.add_argument("--note", default="", help="a short note for the crews")
    push.add_argument("--id", dest="call_id", help="the call's id (default: derived)")
    add_connection_arguments(push)
    push.set_defaults(handler=run_push)

    ack = actions.add_parser("ack", help="acknowledge a call (crew of its station, producer)")
    ack.add_argument("call_id", metavar="CALL", help="call id or a unique prefix of it")
    ack.add_argument("--state", required=True, choices=["en-route", "arrived", "done"])
    add_connection_arguments(ack)
    ack.set_defaults(handler=run_ack)

    cancel = actions.add_parser("cancel", help="cancel a call (producer)")
    cancel.add_argument("call_id", metavar="CALL", help="call id or a unique prefix of it")
    add_connection_arguments(cancel)
    cancel.set_defaults(handler=run_cancel)


@command("call push")
async def run_push(args: argparse.Namespace) -> int:
    async with open_client(args, ["roster"]) as client:
        athlete = choose_talent(client.mirror.items_of(Talent), args.talent)
        if athlete is None:
            return EXIT_USAGE
        ack = await client.push_call(athlete.id, args.station, note=args.note, call_id=args.call_id)
    item = ack.item or {}
    print(
        f"call {item.get('id')} pushed: {athlete.name} ({athlete.id}) to station "
        f"{args.station} (version {ack.version})"
    )
    return EXIT_OK


@command("call ack")
async def run_ack(args: argparse.Namespace) -> int:
    async with open_client(args, _call_topics(args)) as client:
        call = _current_call(client, args.call_id, "call ack")
        if call is None:
            return EXIT_REFUSED
        ack = await client.ack_call(call.id, call.version, args.state)
    print(f"call {call.id}: {args.state} (version {ack.version})")
    return EXIT_OK


@command("call cancel")
async def run_cancel(args: argparse.Namespace) -> int:
    async with open_client(args, ["calls"]) as client:
        call = _current_call(client, args.call_id, "call cancel")
        if call is None:
            return EXIT_REFUSED
        ack = await client.cancel_call(call.id, call.version)
    print(f"call {call.id}: cancelled (version {ack.version})")
    return EXIT_OK


def _call_topics(args: argparse.Namespace) -> list[str]:
    """A crew reads its own station's topic (all it may act on); others read `calls`."""
    station = token_station(args)
    return [f"station:{station}"] if station is not None else ["calls"]


def choose_talent(talent: list[Talent], typed: str) -> Talent | None:
    """The athlete `typed` names. Several matches: ask at a terminal, otherwise list them
    and refuse (a script must not call the wrong athlete). None after saying why."""
    matches = match_talent(talent, typed)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        fail(
            "call push",
            f"no athlete matches {typed!r} (give an id, a name or a shirt number)",
            EXIT_USAGE,
        )
        return None
    if not sys.stdin.isatty():
        fail("call push", f"{Ambiguous(typed, matches)}; give the id", EXIT_USAGE)
        return None
    for number, person in enumerate(matches, start=1):
        shirt = f"#{person.number} " if person.number else ""
        print(f"  {number}. {shirt}{person.name} {person.team} [{person.id}]".rstrip())
    answer = input(f"Which one? [1-{len(matches)}, Enter to stop] ").strip()
    if answer.isdigit() and 1 <= int(answer) <= len(matches):
        return matches[int(answer) - 1]
    fail("call push", "no athlete chosen: nothing pushed", EXIT_USAGE)
    return None


def _current_call(client: MediaDayClient, typed: str, command: str) -> Call | None:
    """The call `typed` (an id or a unique prefix) names, or None after saying why."""
    try:
        return resolve_call(client.mirror.items_of(Call), typed)
    except (NoMatch, Ambiguous) as error:
        fail(command, str(error), EXIT_REFUSED)
        return None
