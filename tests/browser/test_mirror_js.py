"""client/web/mirror.js in Chromium: the version merge and topic membership.

An item is applied only when its version is newer; it stays only while a subscribed topic
holds it and it is not deleted; a snapshot drops what it lacks unless that changed after it.
The scripted WebSocket and the `js` fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser


def test_an_item_is_applied_only_when_its_version_is_newer(js: Page) -> None:
    titles = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        answerSubscribe(10, { schedule: [slot("a", 2, 9, { title: "v2" })] });
        await until(() => client.status.ready);
        event(slot("a", 1, 4, { title: "older" }));
        const afterOlder = held("slot", "a").title;
        event(slot("a", 2, 9, { title: "same version, other copy" }));
        const afterSame = held("slot", "a").title;
        event(slot("a", 3, 11, { title: "v3" }));
        return [afterOlder, afterSame, held("slot", "a").title];
        """,
    )
    assert titles == ["v2", "v2", "v3"]


def test_a_slot_that_moves_away_leaves_the_station_topic_for_good(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["station:st-1"]);
        socket().open();
        answerSubscribe(10, { "station:st-1": [slot("a", 1, 5)] });
        await until(() => client.status.ready);
        // When the slot moves to st-2 (the event reaches the old station's topic too)
        event(slot("a", 2, 11, { station_id: "st-2" }));
        const afterMove = held("slot", "a");
        // and a late duplicate of the old copy arrives
        event(slot("a", 1, 5));
        return { afterMove, afterLate: held("slot", "a") };
        """,
    )
    assert result == {"afterMove": None, "afterLate": None}


def test_a_deleted_item_leaves_the_mirror(js: Page) -> None:
    held = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        answerSubscribe(10, { schedule: [slot("a", 1, 5)] });
        await until(() => client.status.ready);
        event(slot("a", 2, 11, { deleted: true }));
        return held("slot", "a");
        """,
    )
    assert held is None


def test_a_snapshot_drops_what_it_lacks_unless_it_changed_after_the_snapshot(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        answerSubscribe(10, { schedule: [slot("old", 1, 5), slot("new", 1, 6)] });
        await until(() => client.status.ready);
        // Given an event newer than the next snapshot overtakes it
        event(slot("new", 2, 13));
        // When a fresh snapshot at rev 12 has neither item
        socket().drop();
        await until(() => sockets.length === 2);
        socket().open();
        answerSubscribe(12, { schedule: [] });
        await until(() => socket().last("sync")); // sent once the snapshot is applied
        // Then the item that changed after rev 12 stays, the other one is gone
        const result = { old: !!held("slot", "old"), new: !!held("slot", "new") };
        answerSync(13, []);
        await until(() => client.status.ready);
        return result;
        """,
    )
    assert result == {"old": False, "new": True}
