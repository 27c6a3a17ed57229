"""The import/export flow shared by `mediaday schedule` and `mediaday shots`.

Import: connect and read what exists (roster, and the schedule or shot lists), validate
EVERY row against the models and the roster, and only if all rows are good write them,
with a progress bar. A file with bad rows is refused as a whole: each bad row is reported
as `FILE:LINE: problem` and nothing is written.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from client.bookings import double_bookings
from client.commands.common import (
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    UsageError,
    add_connection_arguments,
    fail,
    open_client,
    run,
)
from client.connection import MediaDayClient
from client.csvio import (
    CsvInvalid,
    Roster,
    RowError,
    read_schedule,
    read_shots,
    write_schedule,
    write_shots,
)
from client.dashboard import media_day_timezone
from client.import_plan import RowPlan, plan_schedule, plan_shots
from client.importer import ImportResult, apply_plans
from client.mirror import Mirror

Kind = Literal["schedule", "shots"]


def register_import_export(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], kind: Kind, what: str
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    parser = subparsers.add_parser(kind, help=f"import or export {what} as CSV")
    actions = parser.add_subparsers(dest=f"{kind}_action", required=True)

    importing = actions.add_parser(
        "import", help=f"create or update {what} from a CSV file (all rows or nothing)"
    )
    importing.add_argument("file", type=Path, metavar="FILE.csv")
    importing.add_argument(
        "--dry-run", action="store_true", help="validate and show what would change"
    )
    if kind == "schedule":
        importing.add_argument(
            "--timezone", help="zone of times without an offset (default: the media day's)"
        )
        importing.add_argument(
            "--allow-overlap",
            action="store_true",
            help="book athletes even where their slots overlap (recorded on each slot)",
        )
    add_connection_arguments(importing)
    importing.set_defaults(handler=lambda args: _run_import(args, kind))

    exporting = actions.add_parser("export", help=f"write {what} as CSV")
    exporting.add_argument("--station", help="only this station")
    exporting.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    add_connection_arguments(exporting)
    exporting.set_defaults(handler=lambda args: _run_export(args, kind))
    return actions


async def subscribe_shot_lists(client: MediaDayClient, station: str | None = None) -> None:
    """Shot lists are per station: subscribe to one, or to every station on the roster."""
    stations = [station] if station else [s.id for s in client.mirror.stations()]
    if stations:
        await client.subscribe(*[f"shots:{s}" for s in stations])


def _run_import(args: argparse.Namespace, kind: Kind) -> int:
    path: Path = args.file
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        return fail(f"{kind} import", f"cannot read {path}: {error.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        return fail(f"{kind} import", f"{path} is not UTF-8 text (save as CSV UTF-8)", EXIT_USAGE)
    return run(f"{kind} import", lambda: _import(args, kind, path, text))


async def _import(args: argparse.Namespace, kind: Kind, path: Path, text: str) -> int:
    topics = ["roster", "schedule"] if kind == "schedule" else ["roster"]
    async with open_client(args, topics) as client:
        if kind == "shots":
            await subscribe_shot_lists(client)
        try:
            plans = _plans(
                kind,
                text,
                client.mirror,
                _timezone(args, client.mirror),
                allow_overlap=getattr(args, "allow_overlap", False),
            )
        except CsvInvalid as invalid:
            _report(path, invalid.errors)
            print(
                f"mediaday {kind} import: {len(invalid.errors)} bad row(s) in {path}; "
                "nothing was imported",
                file=sys.stderr,
            )
            return EXIT_USAGE
        if args.dry_run:
            counts = {o: sum(1 for p in plans if p.outcome == o) for o in ("create", "update")}
            print(
                f"{path}: {len(plans)} valid rows: {counts['create']} to create, "
                f"{counts['update']} to update, "
                f"{len(plans) - counts['create'] - counts['update']} unchanged (dry run)"
            )
            return EXIT_OK
        result = await _apply_with_progress(
            client, plans, path, allow_overlap=getattr(args, "allow_overlap", False)
        )
    if result.failures:
        _report(path, result.failures)
        print(
            f"mediaday {kind} import: stopped after {result.summary()}; fix the row and run "
            "the import again (rows already written are recognised)",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    print(f"imported {path}: {result.summary()}")
    return EXIT_OK


def _plans(
    kind: Kind, text: str, mirror: Mirror, tz: tzinfo, *, allow_overlap: bool = False
) -> list[RowPlan]:
    roster = Roster(
        stations=frozenset(s.id for s in mirror.stations()),
        talent=frozenset(mirror.talent()),
    )
    if kind == "schedule":
        rows = read_schedule(io.StringIO(text), tz=tz, roster=roster)
        clashes = [] if allow_overlap else double_bookings(rows, mirror)
        if clashes:
            raise CsvInvalid(clashes)
        return plan_schedule(rows, mirror)
    return plan_shots(read_shots(io.StringIO(text), roster=roster), mirror)


def _timezone(args: argparse.Namespace, mirror: Mirror) -> tzinfo:
    name = getattr(args, "timezone", None)
    if not name:
        return media_day_timezone(mirror)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {name!r} (e.g. Europe/Paris, UTC)") from None


async def _apply_with_progress(
    client: MediaDayClient, plans: Sequence[RowPlan], path: Path, *, allow_overlap: bool
) -> ImportResult:
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=len(plans) < 20,
    ) as progress:
        task = progress.add_task(f"importing {path.name}", total=len(plans))

        def advance(_plan: RowPlan) -> None:
            progress.advance(task)

        return await apply_plans(client, plans, allow_overlap=allow_overlap, on_row_done=advance)


def _report(path: Path, errors: Sequence[RowError]) -> None:
    for error in errors:
        print(f"{path}:{error.line}: {error.message}", file=sys.stderr)


def _run_export(args: argparse.Namespace, kind: Kind) -> int:
    exported: list[tuple[str, int]] = []

    async def main() -> int:
        exported.append(await _export(args, kind))
        return EXIT_OK

    code = run(f"{kind} export", main)
    if code != EXIT_OK:
        return code
    text, count = exported[0]
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        return fail(f"{kind} export", f"cannot write {args.output}: {error.strerror}", EXIT_USAGE)
    print(f"exported {count} {'slots' if kind == 'schedule' else 'shots'} to {args.output}")
    return EXIT_OK


async def _export(args: argparse.Namespace, kind: Kind) -> tuple[str, int]:
    """The CSV text and its number of rows."""
    topics = ["roster", "schedule"] if kind == "schedule" else ["roster"]
    async with open_client(args, topics) as client:
        if kind == "shots":
            await subscribe_shot_lists(client, args.station)
        mirror = client.mirror
    out = io.StringIO()
    if kind == "schedule":
        count = write_schedule(out, mirror.slots(args.station), tz=media_day_timezone(mirror))
    else:
        count = write_shots(out, mirror.shots(args.station))
    return out.getvalue(), count
