"""The schedule and shot lists as spreadsheets (CSV): read and validate every row, write.

A producer prepares the day in a spreadsheet. Reading checks every row with the same
models the service uses (`mediaday.protocol`, `mediaday.models`) plus the roster, and
reports each bad row by its line number; a file with any bad row is refused as a whole.

Columns (a header row is required; order free, names case-insensitive):
- schedule: id, station_id, talent_id, starts_at, ends_at, title
- shots:    id, station_id, talent_id, description, position, status

`id` may be empty: the service then derives one from the request, and a row's request id
is derived from the row itself (its validated content and how many identical rows came
before it), so re-running an import after a crash does not create anything twice. Times
without a UTC offset are in the media day's time zone.

Free text (titles, descriptions) is written with a leading `'` when it would otherwise
start like a formula (`=`, `+`, `-`, `@`): a spreadsheet opening the export shows it as
text instead of running it (CSV injection). Reading removes that one `'` again, so an
export re-imports unchanged.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, TextIO, TypeVar

from pydantic import ValidationError

from client.errors import describe_validation
from mediaday.models import Shot, ShotStatus, Slot
from mediaday.protocol import NewShot, NewSlot

SCHEDULE_COLUMNS = ("id", "station_id", "talent_id", "starts_at", "ends_at", "title")
SHOT_COLUMNS = ("id", "station_id", "talent_id", "description", "position", "status")
_REQUIRED = {
    "schedule": ("station_id", "talent_id", "starts_at", "ends_at"),
    "shots": ("station_id", "talent_id", "description"),
}
_TIME_HELP = "use e.g. 2026-05-04 09:00 or 2026-05-04T09:00:00+02:00"
_FREE_TEXT = frozenset({"title", "description"})
# text a spreadsheet would run as a formula, behind any apostrophes already guarding it
_FORMULA_LIKE = re.compile(r"'*[=+\-@\t\r]")
_New = TypeVar("_New", NewSlot, NewShot)
_Row = TypeVar("_Row", "SlotRow", "ShotRow")


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvInvalid(ValueError):
    """The file has bad rows: every one of them is listed, nothing may be written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s)")
        self.errors = list(errors)


@dataclass(frozen=True)
class Roster:
    """What rows may refer to: the ids of the media day's stations and talent."""

    stations: frozenset[str]
    talent: frozenset[str]


@dataclass(frozen=True)
class SlotRow:
    line: int
    key: str  # stable across runs: the basis of the row's request ids
    slot: NewSlot


@dataclass(frozen=True)
class ShotRow:
    line: int
    key: str
    shot: NewShot
    status: ShotStatus | None  # None: the column is absent or empty (leave as is)


def request_id(row_key: str, step: str) -> str:
    """The request id of one step of one row: the same on every run of the same file."""
    return "csv-" + hashlib.sha256(f"{row_key}/{step}".encode()).hexdigest()[:40]


# -- reading ---------------------------------------------------------------------------------
def read_schedule(stream: TextIO, *, tz: tzinfo, roster: Roster | None = None) -> list[SlotRow]:
    """Every row as a validated slot; CsvInvalid listing every bad row otherwise."""
    rows: list[SlotRow] = []
    errors: list[RowError] = []
    keys = _RowKeys("schedule")
    for line, fields in _records(stream, "schedule", SCHEDULE_COLUMNS, errors):
        problems: list[str] = []
        for name in ("starts_at", "ends_at"):
            if name in fields:
                parsed = _parse_time(fields[name], tz)
                if parsed is None:
                    problems.append(f"{name}: not a date and time ({_TIME_HELP})")
                    fields.pop(name)
                else:
                    fields[name] = parsed
        slot: NewSlot | None = None
        if not problems:
            try:
                slot = NewSlot.model_validate(fields)
                # the service's own rules for a slot (ends after it starts, at most 12 h)
                Slot.model_validate(
                    {**slot.model_dump(), "media_day": "check", "id": slot.id or "check"}
                )
            except ValidationError as error:
                problems.append(describe_validation(error))
        slot = _checked(line, slot, problems, roster, errors)
        if slot is not None:
            rows.append(SlotRow(line, keys.key(slot.model_dump(mode="json")), slot))
    return _refused_if_bad(rows, errors, [(row.line, row.slot.id) for row in rows])


def read_shots(stream: TextIO, *, roster: Roster | None = None) -> list[ShotRow]:
    rows: list[ShotRow] = []
    errors: list[RowError] = []
    keys = _RowKeys("shots")
    for line, fields in _records(stream, "shots", SHOT_COLUMNS, errors):
        problems: list[str] = []
        status: ShotStatus | None = None
        raw_status = fields.pop("status", None)
        if raw_status is not None:
            try:
                status = ShotStatus(raw_status.lower())
            except ValueError:
                choices = ", ".join(s.value for s in ShotStatus)
                problems.append(f"status: must be one of {choices}")
        if "position" in fields:
            try:
                fields["position"] = int(fields["position"])
            except ValueError:
                problems.append("position: must be a whole number")
                fields.pop("position")
        shot: NewShot | None = None
        try:
            shot = NewShot.model_validate(fields)
        except ValidationError as error:
            problems.append(describe_validation(error))
        shot = _checked(line, shot, problems, roster, errors)
        if shot is not None:
            content = {**shot.model_dump(mode="json"), "status": status}
            rows.append(ShotRow(line, keys.key(content), shot, status))
    return _refused_if_bad(rows, errors, [(row.line, row.shot.id) for row in rows])


def _records(
    stream: TextIO, kind: str, columns: Sequence[str], errors: list[RowError]
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, non-empty cells by column) for every non-empty row after a valid header."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        errors.append(RowError(1, f"the file is empty: it needs a header ({','.join(columns)})"))
        return
    except csv.Error as error:
        errors.append(RowError(1, f"not CSV: {error}"))
        return
    names = [cell.strip().lower().lstrip("\ufeff") for cell in header]
    unknown = [n for n in names if n not in columns]
    missing = [c for c in _REQUIRED[kind] if c not in names]
    if unknown or missing or len(set(names)) != len(names):
        parts = [f"unknown column {n!r}" for n in unknown]
        parts += [f"missing column {c!r}" for c in missing]
        if len(set(names)) != len(names):
            parts.append("a column appears twice")
        errors.append(RowError(1, "; ".join(parts) + f" (columns: {', '.join(columns)})"))
        return
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            errors.append(RowError(line, f"not CSV: {error}"))
            return
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(names):
            errors.append(RowError(line, f"{len(row)} cells but {len(names)} columns"))
            continue
        cells = {name: cell.strip() for name, cell in zip(names, row, strict=False)}
        yield line, {name: _unguarded(name, cell) for name, cell in cells.items() if cell}


def _guarded(text: str) -> str:
    """Free text as written: formula-like text behind one apostrophe."""
    return "'" + text if _FORMULA_LIKE.match(text) else text


def _unguarded(column: str, cell: str) -> str:
    """A free-text cell as read: the apostrophe `_guarded` added, removed."""
    if column in _FREE_TEXT and cell.startswith("'") and _FORMULA_LIKE.match(cell, 1):
        return cell[1:]
    return cell


def _parse_time(text: str, tz: tzinfo) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment


def _checked(
    line: int,
    item: _New | None,
    problems: list[str],
    roster: Roster | None,
    errors: list[RowError],
) -> _New | None:
    """The row's item if it is good (roster checked last); None, its error recorded, if not."""
    if item is not None and not problems and roster is not None:
        problems.extend(_missing(roster, item.station_id, item.talent_id))
    if problems or item is None:
        errors.append(RowError(line, "; ".join(problems)))
        return None
    return item


def _refused_if_bad(
    rows: list[_Row], errors: list[RowError], ids: Iterable[tuple[int, str | None]]
) -> list[_Row]:
    """The rows, unless any row (a repeated id included) is bad: CsvInvalid lists them all."""
    errors.extend(_duplicate_ids(ids))
    if errors:
        raise CsvInvalid(sorted(errors, key=lambda e: e.line))
    return rows


def _missing(roster: Roster, station: str, talent: str) -> list[str]:
    problems = []
    if station not in roster.stations:
        problems.append(f"station_id: no station {station!r} on the roster")
    if talent not in roster.talent:
        problems.append(f"talent_id: no talent {talent!r} on the roster")
    return problems


def _duplicate_ids(rows: Iterable[tuple[int, str | None]]) -> list[RowError]:
    first: dict[str, int] = {}
    errors = []
    for line, item_id in rows:
        if item_id is None:
            continue
        if item_id in first:
            errors.append(
                RowError(line, f"id: {item_id!r} is already used on line {first[item_id]}")
            )
        else:
            first[item_id] = line
    return errors


class _RowKeys:
    """Stable keys for rows: a hash of the validated content and its occurrence number."""

    def __init__(self, kind: str) -> None:
        self._kind = kind
        self._seen: Counter[str] = Counter()

    def key(self, content: dict[str, Any]) -> str:
        canonical = json.dumps([self._kind, content], sort_keys=True, default=str)
        occurrence = self._seen[canonical]
        self._seen[canonical] += 1
        return hashlib.sha256(f"{canonical}#{occurrence}".encode()).hexdigest()


# -- writing ---------------------------------------------------------------------------------
def write_schedule(stream: TextIO, slots: Iterable[Slot], *, tz: tzinfo) -> int:
    """The slots as CSV (times with their offset, in `tz`); how many rows were written."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(SCHEDULE_COLUMNS)
    count = 0
    for slot in sorted(slots, key=lambda s: (s.station_id, s.starts_at, s.id)):
        writer.writerow(
            [
                slot.id,
                slot.station_id,
                slot.talent_id,
                slot.starts_at.astimezone(tz).isoformat(),
                slot.ends_at.astimezone(tz).isoformat(),
                _guarded(slot.title),
            ]
        )
        count += 1
    return count


def write_shots(stream: TextIO, shots: Iterable[Shot]) -> int:
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(SHOT_COLUMNS)
    count = 0
    for shot in sorted(shots, key=lambda s: (s.station_id, s.talent_id, s.position, s.id)):
        writer.writerow(
            [
                shot.id,
                shot.station_id,
                shot.talent_id,
                _guarded(shot.description),
                shot.position,
                shot.status.value,
            ]
        )
        count += 1
    return count
