"""`mediaday notice post | clear | list`: announcements on every screen (producers).

`post` shows a banner on every kiosk and crew screen (or those of `--station`s); an
`--urgent` one takes the screen over for a few seconds first. `--expires-in` takes it off
by itself, on the server's clock. `clear` reads the notice's current version first, so a
notice changed meanwhile is a conflict, never a lost write.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from client.commands.common import (
    EXIT_OK,
    EXIT_REFUSED,
    add_connection_arguments,
    command,
    fail,
    open_client,
)
from mediaday.models import NOTICE_MAX_CHARS, Notice


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("notice", help="post or clear announcements on the screens")
    actions = parser.add_subparsers(dest="notice_action", required=True)

    post = actions.add_parser("post", help="show a notice on the screens (producer)")
    post.add_argument("text", help=f"the announcement (at most {NOTICE_MAX_CHARS} characters)")
    post.add_argument("--urgent", action="store_true", help="take the screens over briefly")
    post.add_argument(
        "--station",
        dest="stations",
        action="append",
        default=[],
        help="only this station's screens (repeat for several; default: every screen)",
    )
    post.add_argument("--expires-in", type=int, metavar="MINUTES", help="hide it after this")
    post.add_argument("--id", dest="notice_id", help="the notice's id (default: derived)")
    add_connection_arguments(post)
    post.set_defaults(handler=run_post)

    clear = actions.add_parser("clear", help="take a notice off the screens (producer)")
    clear.add_argument("notice_id", metavar="NOTICE", help="notice id or a unique prefix of it")
    add_connection_arguments(clear)
    clear.set_defaults(handler=run_clear)

    listing = actions.add_parser("list", help="the notices on the screens now")
    add_connection_arguments(listing)
    listing.set_defaults(handler=run_list)


@command("notice post")
async def run_post(args: argparse.Namespace) -> int:
    notice: dict[str, object] = {
        "text": args.text,
        "level": "urgent" if args.urgent else "info",
    }
    if args.stations:
        notice["stations"] = args.stations
    if args.notice_id:
        notice["id"] = args.notice_id
    async with open_client(args, []) as client:
        if args.expires_in is not None:
            expires = datetime.fromtimestamp(client.server_time(), UTC)
            notice["expires_at"] = (expires + timedelta(minutes=args.expires_in)).isoformat()
        ack = await client.request("notice.post", notice=notice)
    item = ack.item or {}
    where = ", ".join(args.stations) if args.stations else "every screen"
    print(f"notice {item.get('id')} posted to {where} ({item.get('level')})")
    return EXIT_OK


@command("notice clear")
async def run_clear(args: argparse.Namespace) -> int:
    async with open_client(args, ["notices"]) as client:
        matches = [n for n in client.mirror.items_of(Notice) if n.id.startswith(args.notice_id)]
        exact = [n for n in matches if n.id == args.notice_id]
        if len(exact or matches) != 1:
            found = "no notice" if not matches else f"{len(matches)} notices"
            return fail("notice clear", f"{found} match {args.notice_id!r}", EXIT_REFUSED)
        (notice,) = exact or matches
        await client.request("notice.clear", notice_id=notice.id, version=notice.version)
    print(f"notice {notice.id} cleared")
    return EXIT_OK


@command("notice list")
async def run_list(args: argparse.Namespace) -> int:
    async with open_client(args, ["notices"]) as client:
        now = datetime.fromtimestamp(client.server_time(), UTC)
        notices = [n for n in client.mirror.items_of(Notice) if is_active(n, now)]
    for notice in sorted(notices, key=lambda n: n.rev):
        where = ",".join(notice.stations) or "all"
        print(f"{notice.id}  {notice.level.value:<6}  {where:<12}  {notice.text}")
    if not notices:
        print("no notices on the screens")
    return EXIT_OK


def is_active(notice: Notice, now: datetime) -> bool:
    """Shown on screens: not cleared, and not past its expiry on the server's clock."""
    return not notice.deleted and (notice.expires_at is None or notice.expires_at > now)
