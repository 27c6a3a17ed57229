"""The console's CSV section and day report in Chromium against the real local stack: a bad
file is refused whole, a good one is applied (once, however often it is applied) and shows
on the board, the download round-trips, and the report follows a scripted station's day.
The report test sets up its own station, which no other module of the package touches.
"""

from __future__ import annotations

import io
import math
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, FilePayload, Page, expect

from client.csvio import write_schedule
from infra.local.runner import LocalStack
from mediaday.protocol import Ack
from tests.browser.console_pages import LAPTOP, TABLET, open_console
from tests.browser.support import ThreadedClient, iso, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.slow]
HEADER = "id,station_id,talent_id,starts_at,ends_at,title\n"
# Far from the demo day's slots (which start now), so nothing here double-books them
DAY_AFTER = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, second=0)


def at(minutes: int) -> str:
    return iso(DAY_AFTER + timedelta(minutes=minutes))


def upload(page: Page, name: str, text: str) -> None:
    payload = FilePayload(name=name, mimeType="text/csv", buffer=text.encode())
    page.set_input_files("#csv-file", files=[payload])


def drop(page: Page, name: str, text: str) -> None:
    """Drag a file onto the drop zone, as a person dragging it from the desktop."""
    transfer = page.evaluate_handle(
        """([name, text]) => {
          const transfer = new DataTransfer();
          transfer.items.add(new File([text], name, {type: "text/csv"}));
          return transfer;
        }""",
        [name, text],
    )
    page.dispatch_event("#csv-drop", "drop", {"dataTransfer": transfer})


def written(ack: Ack) -> dict[str, Any]:
    assert ack.item is not None
    return ack.item


def js_ms(text: str) -> int:
    """Epoch milliseconds as the page's Date.parse reads an ISO time (microseconds cut)."""
    moment = datetime.fromisoformat(text)
    return int(moment.replace(microsecond=0).timestamp()) * 1000 + moment.microsecond // 1000


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth <= innerWidth"))


def test_a_file_with_a_bad_row_is_refused_whole_and_nothing_is_written(
    console: Page, producer: ThreadedClient
) -> None:
    # Given a file with two good rows and one that names an unknown athlete
    text = (
        HEADER
        + f"sl-csv-ok1,st-1,t-1,{at(0)},{at(10)},Good one\n"
        + f"sl-csv-bad,st-1,t-404,{at(20)},{at(30)},Unknown athlete\n"
        + f"sl-csv-ok2,st-2,t-2,{at(0)},{at(10)},Good two\n"
    )
    slots_before = producer.mirror(lambda mirror: len(mirror.slots()))
    # When the producer chooses it
    upload(console, "bad.csv", text)
    # Then the dry run names the bad row, offers no Apply, and nothing reached the server
    expect(console.locator("#csv-summary")).to_contain_text("1 bad row")
    problem = console.locator('#csv-table tr[data-line="3"]')
    expect(problem).to_contain_text("talent_id: no talent 't-404' on the roster")
    expect(console.locator("#csv-apply")).to_be_hidden()
    console.locator("#csv-section").scroll_into_view_if_needed()
    save_screenshot(console, "producer-csv-refused-1280x800")
    assert no_horizontal_scroll(console)
    time.sleep(0.5)
    assert producer.mirror(lambda mirror: len(mirror.slots())) == slots_before
    assert producer.item("slot", "sl-csv-ok1") is None


def test_a_good_file_is_applied_shown_on_the_board_and_applying_it_again_changes_nothing(
    console: Page, producer: ThreadedClient
) -> None:
    # Given a file of three new slots, two of them without an id
    text = (
        HEADER
        + f"sl-csv-new,st-3,t-3,{at(40)},{at(50)},CSV import check\n"
        + f",st-3,t-4,{at(60)},{at(70)},No id one\n"
        + f",st-4,t-4,{at(80)},{at(90)},No id two\n"
    )
    slots_before = producer.mirror(lambda mirror: len(mirror.slots()))
    upload(console, "good.csv", text)
    expect(console.locator("#csv-summary")).to_contain_text("3 to create, 0 to update")
    # When the producer applies it
    console.click("#csv-apply")
    # Then one batch writes the three slots, the server holds them and the board shows them
    outcome = console.locator("#csv-outcome")
    expect(outcome).to_contain_text("3 created, 0 updated, 0 unchanged (1 batch)")
    producer.wait_until(lambda mirror: len(mirror.slots()) == slots_before + 3, within=5)
    assert producer.item("slot", "sl-csv-new").title == "CSV import check"
    expect(console.locator("#board")).to_contain_text("CSV import check")
    # When the same file is dropped and applied again, nothing changes: same request ids
    drop(console, "good.csv", text)
    expect(console.locator("#csv-summary")).to_contain_text("1 unchanged")
    console.click("#csv-apply")
    expect(outcome).to_contain_text("0 created, 0 updated, 3 unchanged")
    time.sleep(0.5)
    assert producer.mirror(lambda mirror: len(mirror.slots())) == slots_before + 3


def test_the_downloaded_schedule_is_the_cli_export_and_uploads_back_unchanged(
    console: Page, producer: ThreadedClient, tmp_path: Path
) -> None:
    # When the producer downloads the schedule
    with console.expect_download() as download:
        console.click("#csv-download-schedule")
    saved = tmp_path / "schedule.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    # Then it is what `mediaday schedule export` writes of the same day
    expected = io.StringIO()
    count = write_schedule(expected, producer.mirror(lambda m: m.slots()), tz=UTC)
    assert text == expected.getvalue()
    # And uploaded again, every row is already as the day has it
    upload(console, "schedule.csv", text)
    expect(console.locator("#csv-summary")).to_contain_text(
        f"{count} good rows: 0 to create, 0 to update, {count} unchanged"
    )


def test_the_day_report_follows_a_scripted_station_and_downloads_as_csv(
    browser_context: BrowserContext,
    local_stack: LocalStack,
    producer: ThreadedClient,
    tmp_path: Path,
) -> None:
    page, errors = open_console(browser_context, local_stack, size=TABLET)
    # Given a station whose day is scripted: three slots, two marked arrived
    producer.write("station.put", station={"id": "st-rep", "name": "Report Room"})
    planned = [DAY_AFTER + timedelta(hours=3, minutes=15 * n) for n in range(3)]
    for n, start in enumerate(planned):
        producer.write(
            "slot.create",
            slot={
                "id": f"sl-rep-{n}",
                "station_id": "st-rep",
                "talent_id": "t-8",
                "starts_at": iso(start),
                "ends_at": iso(start + timedelta(minutes=10)),
            },
        )
    # arrived 1 min after the plan (on time) and 5 min after it (late)
    for n, late in ((0, 1), (1, 5)):
        producer.write(
            "slot.update",
            slot_id=f"sl-rep-{n}",
            version=1,
            changes={"actual_start": iso(planned[n] + timedelta(minutes=late))},
        )
    shots = [
        producer.write(
            "shot.add",
            shot={"station_id": "st-rep", "talent_id": "t-8", "description": f"Shot {n}"},
        )
        for n in range(3)
    ]
    for added, status in zip(shots, ("captured", "skipped"), strict=False):
        producer.write("shot.set_status", shot_id=written(added)["id"], version=1, status=status)
    pushed = [
        written(producer.write("call.push", call={"talent_id": "t-8", "station_id": "st-rep"}))
        for _ in range(2)
    ]
    acked = written(
        producer.write("call.ack", call_id=pushed[0]["id"], version=1, state="en-route")
    )
    ack_ms = js_ms(acked["acked_at"]) - js_ms(acked["pushed_at"])
    ack = f"{math.floor(ack_ms / 100 + 0.5) / 10:g}"  # to 0.1 s, half up, as the page rounds
    ack_words = f"{ack} s"
    # Then the report, open all along, shows the station's figures (live)
    row = page.locator('#report-table tr[data-station-id="st-rep"]')
    expect(row).to_contain_text("2 / 3", timeout=5000)
    cells = row.locator("td")
    expect(cells).to_have_text(
        ["2 / 3", "50%", "3 min", "5 min", "1", "1", ack_words, f"{ack_words} (1 not acked)"]
    )
    bar = page.locator('#report-chart g[data-station-id="st-rep"] .report-bar')
    expect(bar).to_have_attribute("data-pct", "50")
    for size, name in ((TABLET, "1024x768"), (LAPTOP, "1280x800")):
        page.set_viewport_size(size)
        page.locator("#report-section").scroll_into_view_if_needed()
        save_screenshot(page, f"producer-report-{name}")
        assert no_horizontal_scroll(page)
    page.set_viewport_size(TABLET)
    upload(page, "day.csv", HEADER + f"sl-rep-2,st-rep,t-8,{at(225)},{at(235)},Moved\n")
    expect(page.locator("#csv-summary")).to_contain_text("1 to update")
    page.locator("#csv-section").scroll_into_view_if_needed()
    save_screenshot(page, "producer-csv-dry-run-1024x768")
    assert no_horizontal_scroll(page)
    # And its CSV carries the same figures
    with page.expect_download() as download:
        page.click("#report-download")
    saved = tmp_path / "report.csv"
    download.value.save_as(saved)
    line = next(x for x in saved.read_text().splitlines() if x.startswith("st-rep,"))
    assert line == f"st-rep,Report Room,3,2,1,50,3,5,1,1,1,2,1,{ack},{ack}"
    page.close()
    assert not errors, f"JavaScript errors on the console: {errors}"
