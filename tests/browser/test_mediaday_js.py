"""client/web/mediaday.js in Chromium: requests, page assembly, writes, token claims.

Pages may arrive before the ack; a write's ack (or a conflict's current item) is applied
at once. The same client is tested against the real local stack in tests/browser/views/; the
scripted WebSocket and the `js` fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser


def test_snapshot_pages_that_arrive_before_the_ack_are_collected_until_complete(
    js: Page,
) -> None:
    result = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        const request = socket().last("subscribe");
        // Given page 1 of 2, then the ack, then page 2
        socket().deliver({ type: "snapshot", id: request.id, topic: "schedule", rev: 7, page: 1,
                           pages: 2, items: [slot("a", 1, 3)] });
        await tick(10);
        const readyEarly = client.status.ready;
        socket().deliver({ type: "ack", id: request.id, action: "subscribe", rev: 7, pages: 2,
                           topics: ["schedule"] });
        await tick(10);
        const readyBeforeLastPage = client.status.ready;
        socket().deliver({ type: "snapshot", id: request.id, topic: "schedule", rev: 7, page: 2,
                           pages: 2, items: [slot("b", 1, 5)] });
        await until(() => client.status.ready);
        return { readyEarly, readyBeforeLastPage, a: !!held("slot", "a"), b: !!held("slot", "b"),
                 state: client.status.state, watermark: client.watermark() };
        """,
    )
    assert result == {
        "readyEarly": False,
        "readyBeforeLastPage": False,
        "a": True,
        "b": True,
        "state": "live",
        "watermark": 7,
    }


def test_a_conflict_shows_the_current_item_and_reports_the_error(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["shots:st-1"]);
        socket().open();
        answerSubscribe(3, {});
        await until(() => client.status.ready);
        const answer = client.write({ action: "shot.set_status", shot_id: "s1", version: 1,
                                      status: "captured" }).catch((error) => error);
        const sent = socket().last("shot.set_status");
        const current = { type: "shot", id: "s1", station_id: "st-1", talent_id: "t-1",
                          description: "x", status: "skipped", version: 2, rev: 3 };
        socket().deliver({ type: "error", id: sent.id, code: "conflict", message: "stale",
                           current });
        const error = await answer;
        return { code: error.code, status: held("shot", "s1").status, errors: window.errors,
                 words: MediaDay.errorWords(error) };
        """,
    )
    assert result["code"] == "conflict"
    assert result["status"] == "skipped"
    assert result["errors"] == ["conflict"]
    assert "Someone else changed this" in result["words"]


def test_token_claims_are_decoded_for_display(js: Page) -> None:
    claims = run(js, 'return MediaDay.tokenClaims("mdl1.eyJyb2xlIjoiY3JldyIsInN0Ijoic3QtMSJ9.x");')
    assert claims == {"role": "crew", "st": "st-1"}
    assert run(js, 'return MediaDay.tokenClaims("garbage");') is None
