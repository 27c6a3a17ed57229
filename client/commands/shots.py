"""`mediaday shots import FILE.csv | export | set SHOT_ID --status S`: shot lists.

`set` is how a crew marks a shot captured or skipped from a terminal: it reads the shot's
current version first, so a concurrent change is a conflict, never a lost write.
"""

from __future__ import annotations

import argparse

from client.commands import common
from client.commands.sheets import register_import_export, subscribe_shot_lists
from mediaday.models import Shot, ShotStatus


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    actions = register_import_export(subparsers, "shots", "shot lists")
    status = actions.add_parser("set", help="mark a shot captured, skipped or pending")
    status.add_argument("shot_id", metavar="SHOT_ID")
    status.add_argument("--status", required=True, choices=[s.value for s in ShotStatus])
    common.add_connection_arguments(status)
    status.set_defaults(handler=run_set)


def run_set(args: argparse.Namespace) -> int:
    async def main() -> int:
        own = common.token_station(args)
        async with common.open_client(args, [] if own else ["roster"]) as client:
            await subscribe_shot_lists(client, own)
            shot = client.mirror.get("shot", args.shot_id)
            if not isinstance(shot, Shot):
                return common.fail("shots set", f"no shot {args.shot_id!r}", common.EXIT_REFUSED)
            ack = await client.set_shot_status(shot.id, shot.version, args.status)
        print(f"shot {shot.id}: {args.status} (version {ack.version})")
        return common.EXIT_OK

    return common.run("shots set", main)
