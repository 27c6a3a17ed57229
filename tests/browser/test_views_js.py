"""client/web/views.js in Chromium: the helpers the kiosk and crew views share.

The connection label, names from the mirror, countdowns, and the scripts both pages load.
The scripted WebSocket and the `js` fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import page_scripts, run

pytestmark = pytest.mark.browser


def test_the_connection_label_marks_a_board_cut_off_too_long_as_stale(js: Page) -> None:
    labels = run(
        js,
        """
        const client = makeClient(["schedule"]);
        const label = (status) => MediaDay.connectionLabel(
          Object.assign({ lastContact: Date.parse("2026-11-25T14:03:22"), everLive: true,
                          attempts: 1 }, status), client, 4000);
        return {
          live: label({ state: "live", since: Date.now() - 60000 }),
          justDropped: label({ state: "reconnecting", since: Date.now() - 1000 }),
          cutOff: label({ state: "reconnecting", since: Date.now() - 5000 }),
          neverLive: label({ state: "connecting", since: Date.now() - 9000, everLive: false }),
        };
        """,
    )
    assert labels["live"] == {"state": "live", "text": "Live", "stale": False}
    assert labels["justDropped"]["stale"] is False
    assert labels["cutOff"] == {
        "state": "reconnecting",
        "text": "Reconnecting — last update 14:03:22",
        "stale": True,
    }
    assert labels["neverLive"] == {
        "state": "connecting",
        "text": "Cannot reach the server — retrying",
        "stale": False,
    }


def test_an_expired_token_is_named_as_the_reason(js: Page) -> None:
    label = run(
        js,
        """
        const expired = Math.floor(Date.now() / 1000) - 60;
        const claims = btoa(JSON.stringify({ role: "kiosk", exp: expired })).replace(/=+$/, "");
        const client = makeClient(["schedule"], { token: "mdl1." + claims + ".sig" });
        return MediaDay.connectionLabel({ state: "reconnecting", since: Date.now(),
                                          lastContact: null, everLive: false }, client, 4000);
        """,
    )
    assert label["text"] == "Access expired — ask a producer for a new link"
    assert label["stale"] is True


def test_names_come_from_the_mirror_and_fall_back_to_the_id(js: Page) -> None:
    names = run(
        js,
        """
        const mirror = new MediaDay.Mirror();
        mirror.setTopics(["roster"]);
        mirror.apply({ type: "talent", id: "t-1", version: 1, name: "Maya Okafor", number: 7,
                       team: "Harbour", position: "Guard" });
        mirror.apply({ type: "talent", id: "t-2", version: 1, name: "Noor Haddad" });
        mirror.apply({ type: "station", id: "st-1", version: 1, name: "Photo booth" });
        return {
          name: MediaDay.talentName(mirror, "t-1"),
          meta: MediaDay.talentMeta(mirror, "t-1"),
          bareMeta: MediaDay.talentMeta(mirror, "t-2"),
          station: MediaDay.stationName(mirror, "st-1"),
          unknown: [MediaDay.talentName(mirror, "t-9"), MediaDay.talentMeta(mirror, "t-9"),
                    MediaDay.stationName(mirror, "st-9")],
        };
        """,
    )
    assert names == {
        "name": "Maya Okafor",
        "meta": "#7 · Harbour · Guard",
        "bareMeta": "",
        "station": "Photo booth",
        "unknown": ["t-9", "", "st-9"],
    }


def test_countdowns_round_up_to_the_second_and_never_go_negative(js: Page) -> None:
    shown = run(
        js,
        "return [1, 59000, 61000, 3723000, -5000].map((ms) => MediaDay.countdown(ms));",
    )
    assert shown == ["0:01", "0:59", "1:01", "1:02:03", "0:00"]


def test_both_pages_load_the_same_client_scripts_in_the_same_order() -> None:
    kiosk = page_scripts("kiosk.html")
    crew = page_scripts("crew.html")
    assert kiosk[-1] == "kiosk.js"
    assert crew[-1] == "crew.js"
    # Each page's own scripts (kiosk*.js, crew*.js) come after the shared client
    shared = [name for name in kiosk if not name.startswith("kiosk")]
    assert shared == [name for name in crew if not name.startswith("crew")]
    assert kiosk[: len(shared)] == crew[: len(shared)] == shared
    assert kiosk[0] == "mirror.js"  # it creates window.MediaDay, which the others fill in
