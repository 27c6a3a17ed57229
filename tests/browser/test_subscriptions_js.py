"""client/web/subscriptions.js in Chromium: subscribe, watermarks, sync and resume.

After a reconnect the client subscribes again and syncs since the watermark it held; a rev
the server no longer has starts again from a snapshot. The scripted WebSocket and the `js`
fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser


def test_after_a_drop_it_reconnects_resubscribes_and_syncs_since_its_watermark(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["roster", "schedule"]);
        socket().open();
        answerSubscribe(10, {});
        await until(() => client.status.ready);
        socket().drop();
        await tick(5);
        const stateWhileDown = client.status.state;
        await until(() => sockets.length === 2);
        socket().open();
        await until(() => socket().last("subscribe"));
        answerSubscribe(15, {});
        await until(() => socket().last("sync"));
        const sync = socket().last("sync");
        answerSync(15, [slot("meanwhile", 1, 14)]);
        await until(() => client.status.state === "live");
        return { stateWhileDown, since: sync.since, topics: sync.topics,
                 meanwhile: !!held("slot", "meanwhile"), watermark: client.watermark() };
        """,
    )
    assert result == {
        "stateWhileDown": "reconnecting",
        "since": 10,
        "topics": ["roster", "schedule"],
        "meanwhile": True,
        "watermark": 15,
    }


def test_a_sync_the_server_cannot_answer_starts_again_from_a_snapshot(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        answerSubscribe(50, { schedule: [slot("a", 9, 50)] });
        await until(() => client.status.ready);
        client.sync();
        const sync = socket().last("sync");
        // the server's data was reset: its rev is behind ours
        socket().deliver({ type: "error", id: sync.id, code: "resync_required", message: "x" });
        await until(() => socket().sent.filter((f) => f.action === "subscribe").length === 2);
        answerSubscribe(2, { schedule: [slot("a", 1, 2, { title: "after reset" })] });
        await tick(20);
        return { title: held("slot", "a").title, watermark: client.watermark() };
        """,
    )
    assert result == {"title": "after reset", "watermark": 2}


def test_topics_added_later_are_subscribed_and_tracked(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["roster"]);
        socket().open();
        answerSubscribe(5, {});
        await until(() => client.status.ready);
        client.addTopics(["shots:st-1", "roster", "nonsense topic"]);
        const request = socket().last("subscribe");
        return { topics: request.topics, all: client.topics };
        """,
    )
    assert result == {"topics": ["shots:st-1"], "all": ["roster", "shots:st-1"]}
