"""client/web/producer-report-figures.js in Chromium: the day report of a scripted day whose
figures are worked out by hand below (definitions in docs/protocol.md, "Day report")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import WEB, run

pytestmark = pytest.mark.browser


def slot(station: str, starts: str, actual: str | None = None, planned: str | None = None) -> Any:
    item = {
        "type": "slot",
        "id": f"sl-{station}-{starts}",
        "station_id": station,
        "talent_id": "t-1",
        "starts_at": f"2026-05-04T{starts}:00Z",
        "ends_at": f"2026-05-04T{starts}:00Z",
    }
    if actual:
        item["actual_start"] = f"2026-05-04T{actual}Z"
    if planned:
        item["planned_starts_at"] = f"2026-05-04T{planned}:00Z"
    return item


def shot(station: str, n: int, status: str | None) -> Any:
    item = {"type": "shot", "id": f"sh-{station}-{n}", "station_id": station, "talent_id": "t-1"}
    return {**item, "status": status} if status else item


def call(station: str, pushed: str, acked: str | None) -> Any:
    item = {
        "type": "call",
        "id": f"ca-{station}-{pushed}",
        "station_id": station,
        "pushed_at": f"2026-05-04T{pushed}Z",
    }
    return {**item, "acked_at": f"2026-05-04T{acked}Z"} if acked else item


DAY = {
    # listed out of name order: the report sorts stations by name
    "stations": [
        {"type": "station", "id": "st-c", "name": "Charlie"},
        {"type": "station", "id": "st-a", "name": "Alpha"},
        {"type": "station", "id": "st-b", "name": "Bravo"},
    ],
    "slots": [
        slot("st-a", "09:00", "09:00:30"),  # 0.5 min late: on time
        slot("st-a", "09:25", "09:21:00", planned="09:15"),  # shifted; 6 min after the plan
        slot("st-a", "09:30", "09:28:00"),  # early: a delay of 0
        slot("st-a", "09:45"),  # not started: not counted
        slot("st-b", "10:00", "10:02:00"),  # exactly 2 min: on time
        slot("st-b", "10:20", "10:32:30"),  # 12.5 min late
    ],
    "shots": [
        shot("st-a", 1, "captured"),
        shot("st-a", 2, "captured"),
        shot("st-a", 3, "skipped"),
        shot("st-a", 4, "pending"),
        shot("st-b", 1, "captured"),
        shot("st-b", 2, None),  # no status yet: pending
    ],
    "calls": [
        call("st-a", "09:00:00", "09:00:20"),  # 20 s
        call("st-a", "09:10:00", "09:11:00"),  # 60 s
        call("st-a", "09:20:00", "09:20:05"),  # 5 s
        call("st-a", "09:30:00", None),  # never acknowledged
        call("st-b", "10:00:00", "10:00:30"),  # 30 s
        call("st-b", "10:05:00", "10:05:50"),  # 50 s
    ],
}


@pytest.fixture
def report_js(js: Page) -> Page:
    js.add_script_tag(path=str(WEB / "producer-report-figures.js"))
    return js


def report(page: Page) -> Any:
    return run(
        page,
        f"""
        const F = MediaDay.Producer.reportFigures;
        const r = F.dayReport({json.dumps(DAY)});
        return {{report: r, csv: F.reportCsv(r)}};
        """,
    )


def test_the_figures_of_a_scripted_day_are_the_ones_worked_out_by_hand(report_js: Page) -> None:
    stations = {row["station_id"]: row for row in report(report_js)["report"]["stations"]}
    alpha, bravo, charlie = stations["st-a"], stations["st-b"], stations["st-c"]
    # Alpha: delays 0.5, 6 and 0 min over 3 started slots; 2 within the 2-minute grace
    assert (alpha["slots"], alpha["started"], alpha["on_time"]) == (4, 3, 2)
    assert (alpha["on_time_pct"], alpha["avg_delay_min"], alpha["worst_delay_min"]) == (
        66.7,
        2.2,
        6,
    )
    # acks of 20, 60 and 5 s: median 20, worst 60; the unacknowledged call is not timed
    assert (alpha["calls"], alpha["calls_acked"]) == (4, 3)
    assert (alpha["ack_median_s"], alpha["ack_worst_s"]) == (20, 60)
    assert (alpha["shots_captured"], alpha["shots_skipped"], alpha["shots_pending"]) == (2, 1, 1)
    # Bravo: 2 and 12.5 min (2 is on time); acks 30 and 50 s: the median is their mean
    assert (bravo["on_time_pct"], bravo["avg_delay_min"], bravo["worst_delay_min"]) == (
        50,
        7.3,
        12.5,
    )
    assert (bravo["ack_median_s"], bravo["ack_worst_s"]) == (40, 50)
    assert (bravo["shots_captured"], bravo["shots_skipped"], bravo["shots_pending"]) == (1, 0, 1)
    # Charlie has nothing yet: no figure rather than a made-up 0 %
    assert (charlie["on_time_pct"], charlie["avg_delay_min"], charlie["ack_median_s"]) == (
        None,
        None,
        None,
    )


def test_the_report_csv_has_a_row_per_station_by_name_then_the_whole_day(
    report_js: Page,
) -> None:
    assert report(report_js)["csv"] == (
        "station_id,station,slots,started,on_time,on_time_pct,avg_delay_min,worst_delay_min,"
        "shots_captured,shots_skipped,shots_pending,calls,calls_acked,ack_median_s,ack_worst_s\n"
        "st-a,Alpha,4,3,2,66.7,2.2,6,2,1,1,4,3,20,60\n"
        "st-b,Bravo,2,2,1,50,7.3,12.5,1,0,1,2,2,40,50\n"
        "st-c,Charlie,0,0,0,,,,0,0,0,0,0,,\n"
        ",All stations,6,5,3,60,4.2,12.5,3,1,2,6,5,30,60\n"
    )
