"""client/web/devices.js in Chromium: identify, redirect, and access that has ended.

The scripted WebSocket and the `js` fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser


def test_identify_flashes_the_label_as_text_for_its_seconds(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        socket().deliver({ type: "command", command: "identify",
                           label: "<b>Lobby TV</b>", seconds: 1 });
        const overlay = document.getElementById("identify");
        const shown = { text: overlay.textContent, hidden: overlay.hidden,
                        html: overlay.innerHTML.includes("<b>") };
        await until(() => overlay.hidden, 3000);
        return { shown, hiddenAfter: overlay.hidden };
        """,
    )
    assert result["shown"] == {"text": "<b>Lobby TV</b>", "hidden": False, "html": False}
    assert result["hiddenAfter"] is True


def test_a_redirect_sets_the_station_of_a_kiosk_and_of_a_crew_tablet(js: Page) -> None:
    result = run(
        js,
        """
        const went = [];
        MediaDay.navigate = (url) => went.push(url);
        makeClient(["schedule"]);  // a kiosk token
        socket().open();
        socket().deliver({ type: "command", command: "redirect", station_id: "st-2" });
        const crewClaims = btoa(JSON.stringify({ role: "crew", st: "st-1" })).replace(/=+$/, "");
        makeClient(["schedule"], { token: "mdl1." + crewClaims + ".sig" });
        socket().open();
        socket().deliver({ type: "command", command: "redirect", station_id: "st-3" });
        // to the crew's own station, where it already is: nothing to do
        socket().deliver({ type: "command", command: "redirect", station_id: "st-1" });
        return went;
        """,
    )
    assert len(result) == 2
    assert result[0].endswith("station=st-2") and result[1].endswith("station=st-3")


def test_a_revoked_screen_says_so_instead_of_reconnecting(js: Page) -> None:
    label = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        socket().deliver({ type: "error", code: "unauthorized",
                           message: "access revoked by a producer (subject tv-1 is revoked)" });
        socket().drop();
        return MediaDay.connectionLabel({ state: "reconnecting", since: Date.now(),
                                          lastContact: null, everLive: true }, client, 4000);
        """,
    )
    assert label == {
        "state": "reconnecting",
        "text": "Access revoked — ask a producer for a new link",
        "stale": True,
    }
