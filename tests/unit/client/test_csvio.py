"""Reading and writing the schedule and shot lists as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from client.csvio import (
    CsvInvalid,
    Roster,
    read_schedule,
    read_shots,
    request_id,
    write_schedule,
    write_shots,
)
from mediaday.models import Shot, ShotStatus, Slot

ROSTER = Roster(stations=frozenset({"st-1", "st-2"}), talent=frozenset({"t-12", "t-7"}))
PARIS = ZoneInfo("Europe/Paris")


def schedule(text: str, **kwargs):
    return read_schedule(io.StringIO(text), tz=kwargs.pop("tz", UTC), roster=ROSTER, **kwargs)


def errors_of(text: str, reader=schedule) -> list[str]:
    with pytest.raises(CsvInvalid) as invalid:
        reader(text)
    return [str(error) for error in invalid.value.errors]


GOOD = """id,station_id,talent_id,starts_at,ends_at,title
sl-1,st-1,t-12,2026-05-04T09:00:00+02:00,2026-05-04T09:15:00+02:00,Feature
,st-2,t-7,2026-05-04 09:30,2026-05-04 09:45,
"""


def test_good_rows_become_validated_slots_and_naive_times_use_the_media_day_zone():
    rows = schedule(GOOD, tz=PARIS)
    assert [(r.line, r.slot.id, r.slot.station_id) for r in rows] == [
        (2, "sl-1", "st-1"),
        (3, None, "st-2"),
    ]
    assert rows[1].slot.starts_at == datetime(2026, 5, 4, 9, 30, tzinfo=PARIS)
    assert rows[0].slot.title == "Feature"


def test_every_bad_row_is_reported_by_its_line_number():
    text = (
        "station_id,talent_id,starts_at,ends_at,title\n"
        "st-1,t-12,2026-05-04T09:00Z,2026-05-04T09:15Z,ok\n"
        "st-1,t-12,yesterday,2026-05-04T09:15Z,bad time\n"
        "\n"
        "st-9,t-12,2026-05-04T10:00Z,2026-05-04T10:15Z,unknown station\n"
        "st-1,t 12,2026-05-04T10:00Z,2026-05-04T10:15Z,bad id\n"
        "st-1,t-12,2026-05-04T11:00Z,2026-05-04T10:15Z,ends first\n"
        "st-1,t-12,2026-05-04T11:00Z,2026-05-05T10:15Z,too long\n"
        "st-1,t-7,2026-05-04T11:00Z,2026-05-04T11:15Z,\x07bell\n"
    )
    assert errors_of(text) == [
        "line 3: starts_at: not a date and time "
        "(use e.g. 2026-05-04 09:00 or 2026-05-04T09:00:00+02:00)",
        "line 5: station_id: no station 'st-9' on the roster",
        "line 6: talent_id: must be 1-64 letters, digits, '.', '_' or '-', "
        "starting with a letter or digit",
        "line 7: ends_at must be after starts_at",
        "line 8: a slot lasts at most 12 hours",
        "line 9: title: must not contain control characters (U+0007 is not allowed)",
    ]


def test_the_header_must_name_known_columns_including_the_required_ones():
    assert errors_of("station,talent_id,starts_at\n") == [
        "line 1: unknown column 'station'; missing column 'station_id'; missing column "
        "'ends_at' (columns: id, station_id, talent_id, starts_at, ends_at, title)"
    ]
    assert errors_of("") == [
        "line 1: the file is empty: it needs a header "
        "(id,station_id,talent_id,starts_at,ends_at,title)"
    ]


def test_duplicate_ids_and_extra_cells_are_bad_rows():
    text = (
        "ID,Station_ID,talent_id,starts_at,ends_at\n"
        "a,st-1,t-12,2026-05-04T09:00Z,2026-05-04T09:15Z\n"
        "a,st-1,t-12,2026-05-04T10:00Z,2026-05-04T10:15Z\n"
        "b,st-1,t-12,2026-05-04T10:00Z,2026-05-04T10:15Z,extra\n"
    )
    assert errors_of(text) == [
        "line 3: id: 'a' is already used on line 2",
        "line 4: 6 cells but 5 columns",
    ]


def test_line_numbers_count_physical_lines_of_quoted_multi_line_cells():
    text = (
        "station_id,talent_id,starts_at,ends_at,title\n"
        'st-1,t-12,2026-05-04T09:00Z,2026-05-04T09:15Z,"two\nlines"\n'
        "st-1,t-12,nope,2026-05-04T09:15Z,x\n"
    )
    first, second = errors_of(text)
    assert first == "line 2: title: must not contain control characters (U+000A is not allowed)"
    assert second.startswith("line 4: starts_at")


def test_a_byte_order_mark_from_a_spreadsheet_export_is_ignored():
    assert len(schedule("\ufeff" + GOOD)) == 2


def test_request_ids_are_stable_per_row_and_distinct_for_identical_rows():
    text = GOOD + ",st-2,t-7,2026-05-04 09:30,2026-05-04 09:45,\n"
    first, second = schedule(text), schedule(text)
    assert [r.key for r in first] == [r.key for r in second]
    assert len({r.key for r in first}) == 3  # the repeated row is a distinct row
    rid = request_id(first[0].key, "0:slot.create:vNone")
    assert rid.startswith("csv-") and len(rid) <= 64
    assert rid != request_id(first[1].key, "0:slot.create:vNone")


def test_shot_rows_validate_status_position_and_references():
    text = (
        "id,station_id,talent_id,description,position,status\n"
        "sh-1,st-1,t-12,Walk-in,1,captured\n"
        ",st-1,t-7,Portrait,,\n"
        "sh-3,st-1,t-12,Profile,first,done\n"
        "sh-4,st-1,t-99,,2,pending\n"
    )
    with pytest.raises(CsvInvalid) as invalid:
        read_shots(io.StringIO(text), roster=ROSTER)
    assert [str(e) for e in invalid.value.errors] == [
        "line 4: status: must be one of pending, captured, skipped; "
        "position: must be a whole number",
        "line 5: description: Field required",
    ]
    good = read_shots(io.StringIO("\n".join(text.splitlines()[:3])), roster=ROSTER)
    assert [(r.shot.id, r.shot.position, r.status) for r in good] == [
        ("sh-1", 1, ShotStatus.CAPTURED),
        (None, 0, None),
    ]


def test_export_then_import_round_trips_the_schedule_and_shots():
    slot = Slot(
        media_day="md",
        id="sl-1",
        station_id="st-1",
        talent_id="t-12",
        starts_at=datetime(2026, 5, 4, 7, 0, tzinfo=UTC),
        ends_at=datetime(2026, 5, 4, 7, 15, tzinfo=UTC),
        title="Feature, long",
    )
    out = io.StringIO()
    assert write_schedule(out, [slot], tz=PARIS) == 1
    assert "2026-05-04T09:00:00+02:00" in out.getvalue()
    (row,) = schedule(out.getvalue())
    assert (row.slot.id, row.slot.starts_at, row.slot.title) == (
        "sl-1",
        slot.starts_at,
        "Feature, long",
    )
    shot = Shot(
        media_day="md",
        id="sh-1",
        station_id="st-1",
        talent_id="t-7",
        description='Say "cheese"',
        position=3,
        status=ShotStatus.SKIPPED,
    )
    out = io.StringIO()
    write_shots(out, [shot])
    (shot_row,) = read_shots(io.StringIO(out.getvalue()), roster=ROSTER)
    assert (shot_row.shot.description, shot_row.shot.position, shot_row.status) == (
        'Say "cheese"',
        3,
        ShotStatus.SKIPPED,
    )


@pytest.mark.parametrize(
    "title",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "'=already quoted", "'90s"],
)
def test_exported_free_text_never_starts_like_a_formula_and_re_imports_unchanged(title):
    # Given a slot and a shot whose free text a spreadsheet could run as a formula
    start = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
    slot = Slot(
        media_day="md",
        id="sl-1",
        station_id="st-1",
        talent_id="t-12",
        starts_at=start,
        ends_at=start.replace(minute=15),
        title=title,
    )
    shot = Shot(media_day="md", id="sh-1", station_id="st-1", talent_id="t-7", description=title)
    # When both are exported
    slots_csv, shots_csv = io.StringIO(), io.StringIO()
    write_schedule(slots_csv, [slot], tz=UTC)
    write_shots(shots_csv, [shot])
    # Then no cell starts with a formula character
    for text in (slots_csv.getvalue(), shots_csv.getvalue()):
        for cell in next(iter(csv.reader(io.StringIO(text.splitlines()[1])))):
            assert cell[:1] not in ("=", "+", "-", "@"), cell
    # And importing the export gives the text back as it was
    (slot_row,) = schedule(slots_csv.getvalue())
    (shot_row,) = read_shots(io.StringIO(shots_csv.getvalue()), roster=ROSTER)
    assert slot_row.slot.title == title
    assert shot_row.shot.description == title


def test_a_hand_written_leading_apostrophe_before_plain_text_is_kept():
    text = GOOD.replace(",Feature", ",'Round one'")
    first, _ = schedule(text)
    assert first.slot.title == "'Round one'"
