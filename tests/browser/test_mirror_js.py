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


def test_an_events_frame_applies_its_changes_in_order_and_asks_for_them(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["schedule", "station:st-1"]);
        socket().open();
        const asked = socket().last("subscribe").events;
        answerSubscribe(10, { schedule: [slot("a", 2, 9, { title: "v2" })] });
        await until(() => client.status.ready);
        const before = changes;
        events(
          [slot("a", 1, 4, { title: "older" }), ["schedule", "station:st-1"]],
          [slot("a", 3, 11, { title: "v3" }), ["schedule", "station:st-1"]],
          [slot("b", 1, 12, { title: "new" })],
          [slot("a", 4, 13, { title: "v4" })],
        );
        return [asked, held("slot", "a").title, held("slot", "b").title, changes - before];
        """,
    )
    assert result == ["batched", "v4", "new", 1]


def test_the_pages_know_the_same_item_topics_as_the_server(js: Page) -> None:
    """The JS mirror keeps its own copy of the topic table (no build step to share it):
    a topic the server serves but the pages do not know would have its items dropped."""
    from mediaday.topics import _STATIC_TOPICS, _STATION_TOPICS

    for name, item_types in _STATIC_TOPICS.items():
        if not item_types:
            continue  # `devices` carries device frames, not items
        parsed = js.evaluate(f"() => MediaDay.parseTopic({name!r})")
        assert parsed is not None, f"client/web/mirror.js does not know topic {name!r}"
        assert sorted(parsed["types"]) == sorted(item_types), name
    for kind, item_types in _STATION_TOPICS.items():
        parsed = js.evaluate(f"() => MediaDay.parseTopic('{kind}:st-1')")
        assert sorted(parsed["types"]) == sorted(item_types), kind
