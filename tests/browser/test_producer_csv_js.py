"""The console's CSV reader and planner (client/web/producer-csv-*.js) against the Python
ones (client/csvio.py, client/bookings.py, client/importer.py): the same file gives the same
per-row problems, the same row keys and the same request ids in Chromium and in Python."""

from __future__ import annotations

import io
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page

from client.bookings import double_bookings
from client.csvio import CsvInvalid, Roster, RowError, read_schedule, read_shots
from client.import_plan import plan_schedule, plan_shots
from client.importer import _entry, _RowState
from client.mirror import Mirror
from tests.browser.scripted import WEB

pytestmark = pytest.mark.browser

ZONE = "Europe/Paris"
ROSTER = Roster(frozenset({"st-1", "st-2"}), frozenset({"t-1", "t-2", "t-3"}))
DAY_ITEMS: list[dict[str, Any]] = [
    {"type": "station", "id": "st-1", "name": "Room A"},
    {"type": "station", "id": "st-2", "name": "Photo"},
    *({"type": "talent", "id": t, "name": t.upper()} for t in ("t-1", "t-2", "t-3")),
    {
        "type": "slot",
        "id": "sl-kept",
        "station_id": "st-2",
        "talent_id": "t-2",
        "starts_at": "2026-05-04T07:30:00Z",
        "ends_at": "2026-05-04T07:45:00Z",
        "title": "Kept",
    },
    {
        "type": "slot",
        "id": "sl-edit",
        "station_id": "st-1",
        "talent_id": "t-3",
        "starts_at": "2026-05-04T08:00:00Z",
        "ends_at": "2026-05-04T08:10:00Z",
        "title": "Old",
    },
    {
        "type": "shot",
        "id": "sh-1",
        "station_id": "st-1",
        "talent_id": "t-1",
        "description": "Hero",
        "position": 1,
        "status": "pending",
    },
]
BAD_SCHEDULE = (
    "id,station_id,talent_id,starts_at,ends_at,title\n"
    "sl-a,st-1,t-1,2026-05-04 09:00,2026-05-04 09:10,Hello\n"
    "sl-c,st-9,t-1,2026-05-04 10:00,2026-05-04 10:10,\n"
    "sl-d,st-1,t-99,2026-05-04 10:00,2026-05-04 10:10,\n"
    "sl-e,st-1,t-2,tomorrow,2026-05-04 10:10,\n"
    "sl-f,st-1,t-2,2026-05-04 11:00,2026-05-04 10:10,\n"
    "sl-a,st-2,t-3,2026-05-04 12:00,2026-05-04 12:10,\n"
    "bad id!,st-2,t-3,2026-05-04 13:00,2026-05-04 13:10,\n"
    ",st-2,,2026-05-04 13:00,2026-05-04 13:10,\n"
    "sl-g,st-2,t-3,2026-05-04 13:00,2026-05-05 13:10,\n"
    "sl-h,st-2,t-3,2026-05-04 14:00,2026-05-04 14:10,x,extra\n"
    "\n"
    'sl-i,st-2,t-3,2026-05-04T15:00:00Z,2026-05-04T15:10:00+02:00,"=SUM(A1)"\n'
    "sl-k,st-2,t-3,2026-05-04 17:00,2026-05-04 17:10,a\u202eb\n"
    f"sl-l,st-2,t-3,2026-05-04 18:00,2026-05-04 18:10,{'x' * 201}\n"
)
# Valid rows, but athletes in two places: with another row and with a slot of the day
CLASHING_SCHEDULE = (
    "id,station_id,talent_id,starts_at,ends_at,title\n"
    "sl-a,st-1,t-1,2026-05-04 09:00,2026-05-04 09:10,\n"
    "sl-b,st-2,t-1,2026-05-04 09:05,2026-05-04 09:20,\n"
    ",st-1,t-2,2026-05-04 09:40,2026-05-04 09:50,Over the kept one\n"
    "sl-edit,st-1,t-3,2026-05-04T08:00:00Z,2026-05-04T08:10:00Z,Title only\n"
)
BAD_SHOTS = (
    "ID,Station_ID,talent_id,description,position,status\n"
    "sh-1,st-1,t-1,Hero,1,captured\n"
    "sh-2,st-1,t-1,,2,\n"
    "sh-3,st-1,t-1,Ok,x,done\n"
    "sh-4,st-1,t-1,Ok,-1,\n"
    "sh-1,st-1,t-1,dup,3,\n"
    "sh-5,st-1,t-9,Ok,100001,\n"
)
HEADERS = ["a,b\n", "", "id,station_id,id,talent_id,starts_at,ends_at\n"]
GOOD_SCHEDULE = (
    "id,station_id,talent_id,starts_at,ends_at,title\n"
    ",st-1,t-1,2026-05-04 09:00,2026-05-04 09:10,Same\n"
    ",st-1,t-1,2026-05-04 09:00,2026-05-04 09:10,Same\n"
    "sl-edit,st-2,t-3,2026-05-04 10:00:00.5,2026-05-04 10:10,'=moved\n"
    "sl-kept,st-2,t-2,2026-05-04T07:30:00Z,2026-05-04T07:45:00Z,Kept\n"
    "sl-new,st-1,t-2,2026-05-04T12:00:00-05:00,2026-05-04T12:10:00-05:00,Ünïcode 😀\n"
)
GOOD_SHOTS = (
    "id,station_id,talent_id,description,position,status\n"
    "sh-1,st-1,t-1,Hero,2,captured\n"
    ",st-1,t-2,Wide,,skipped\n"
)


@pytest.fixture
def csv_js(js: Page) -> Page:
    for name in ("producer-time.js", "producer-csv-ids.js", "producer-csv-read.js"):
        js.add_script_tag(path=str(WEB / name))
    js.add_script_tag(path=str(WEB / "producer-csv-plan.js"))
    return js


def python_mirror() -> Mirror:
    mirror = Mirror()
    mirror.add_topics(["roster", "schedule", "shots:st-1", "shots:st-2"])
    for item in DAY_ITEMS:
        mirror.apply({"media_day": "md", "version": 1, "rev": 1, **item})
    return mirror


# The console's day: the mirror and roster of DAY_ITEMS, in the zone ZONE (`args.items`)
SETUP_JS = """
    const P = MediaDay.Producer;
    P.time.setZone(args.zone);
    const mirror = new MediaDay.Mirror();
    mirror.setTopics(["roster", "schedule", "shots:st-1", "shots:st-2"]);
    const day = args.items.map(i => Object.assign({media_day: "md", version: 1, rev: 1}, i));
    day.forEach(item => mirror.apply(item));
    const roster = {
      stations: new Set(day.filter(i => i.type === "station").map(i => i.id)),
      talent: new Set(day.filter(i => i.type === "talent").map(i => i.id)),
    };
"""


def in_js(page: Page, kind: str, text: str, step: str = "problems") -> Any:
    """What the console makes of a file: its problems, or its plans' first writes."""
    body = """
        const read = args.kind === "schedule" ? P.csvRead.readSchedule : P.csvRead.readShots;
        const file = read(args.text, roster);
        let errors = file.errors;
        if (!errors.length && args.kind === "schedule") {
          errors = P.csvPlan.doubleBookings(file.rows, mirror);
        }
        if (args.step === "problems") return errors.map(e => [e.line, e.message]);
        const first = p => p.steps.length
          ? P.csvPlan.entry(p, 0, {itemId: p.itemId, version: p.version}, false)
          : {id: null};
        return P.csvPlan.plans(args.kind, file.rows, mirror)
          .map(p => [p.line, p.outcome, p.steps.map(s => s.action), first(p)]);
    """
    args = {"zone": ZONE, "items": DAY_ITEMS, "kind": kind, "text": text, "step": step}
    return page.evaluate(f"(args) => {{ {SETUP_JS} {body} }}", args)


def in_python(kind: str, text: str) -> list[list[Any]]:
    zone = ZoneInfo(ZONE)
    try:
        if kind == "schedule":
            rows = read_schedule(io.StringIO(text), tz=zone, roster=ROSTER)
            errors: list[RowError] = double_bookings(rows, python_mirror())
        else:
            read_shots(io.StringIO(text), roster=ROSTER)
            errors = []
    except CsvInvalid as invalid:
        errors = invalid.errors
    return [[e.line, e.message] for e in errors]


@pytest.mark.parametrize(
    "kind,text",
    [
        ("schedule", BAD_SCHEDULE),
        ("schedule", CLASHING_SCHEDULE),
        ("shots", BAD_SHOTS),
        *(("schedule", header) for header in HEADERS),
    ],
    ids=["bad-rows", "double-bookings", "bad-shots", "no-columns", "empty", "twice"],
)
def test_a_bad_file_gets_the_same_problems_by_line_in_the_console_and_the_cli(
    csv_js: Page, kind: str, text: str
) -> None:
    expected = in_python(kind, text)
    assert expected, "the file must be refused"
    assert in_js(csv_js, kind, text) == expected


def test_a_good_file_plans_the_same_writes_with_the_same_request_ids(csv_js: Page) -> None:
    mirror = python_mirror()
    zone = ZoneInfo(ZONE)
    python: list[list[Any]] = [
        [p.line, p.outcome, [s.action for s in p.steps], _first_write(p)]
        for p in plan_schedule(read_schedule(io.StringIO(GOOD_SCHEDULE), tz=zone), mirror)
    ] + [
        [p.line, p.outcome, [s.action for s in p.steps], _first_write(p)]
        for p in plan_shots(read_shots(io.StringIO(GOOD_SHOTS)), mirror)
    ]
    console = in_js(csv_js, "schedule", GOOD_SCHEDULE, "plans") + in_js(
        csv_js, "shots", GOOD_SHOTS, "plans"
    )
    assert [row[:3] for row in console] == [row[:3] for row in python]
    # the request ids are the Python importer's: a file applied from both is applied once
    assert [row[3]["id"] for row in console] == [row[3]["id"] for row in python]
    created = console[0][3]["slot"]
    assert created == {
        "station_id": "st-1",
        "talent_id": "t-1",
        "starts_at": "2026-05-04T09:00:00+02:00",
        "ends_at": "2026-05-04T09:10:00+02:00",
        "title": "Same",
    }
    assert console[2][3]["station_id"] == "st-2"  # sl-edit moves station first
    assert console[3][1] == "unchanged"


def _first_write(plan: Any) -> dict[str, Any]:
    if not plan.steps:
        return {"id": None}
    return _entry(plan, 0, _RowState(plan.item_id, plan.version), allow_overlap=False)


def test_the_export_round_trips_through_the_reader_unchanged(csv_js: Page) -> None:
    body = """
        const slot = day.find(i => i.id === "sl-kept");
        mirror.apply(Object.assign({}, slot, {version: 2, title: "=cmd|' /C calc'!A0"}));
        const text = P.csvPlan.writeSchedule(mirror.ofType("slot"));
        const again = P.csvRead.readSchedule(text, roster);
        const plans = P.csvPlan.plans("schedule", again.rows, mirror);
        return {text, errors: again.errors, outcomes: plans.map(p => p.outcome)};
    """
    result = csv_js.evaluate(
        f"(args) => {{ {SETUP_JS} {body} }}", {"zone": ZONE, "items": DAY_ITEMS}
    )
    assert result["errors"] == []
    assert result["outcomes"] == ["unchanged", "unchanged"]
    assert result["text"] == (
        "id,station_id,talent_id,starts_at,ends_at,title\n"
        "sl-edit,st-1,t-3,2026-05-04T10:00:00+02:00,2026-05-04T10:10:00+02:00,Old\n"
        "sl-kept,st-2,t-2,2026-05-04T09:30:00+02:00,2026-05-04T09:45:00+02:00,"
        "'=cmd|' /C calc'!A0\n"
    )
