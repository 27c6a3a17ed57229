"""client/web/subscriptions.js in Chromium: subscribe, watermarks, sync and resume.

After a reconnect the client subscribes again and syncs since the watermark it held; a rev
the server no longer has starts again from a snapshot. A resume's subscribe refused or shed
is resent on the same socket under a new id, within its patience and the retry budget. The
scripted WebSocket and the `js` fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

from typing import Any

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


SUBSCRIBES = 'socket().sent.filter((f) => f.action === "subscribe")'


def resent_after(js: Page, refusal: str, meanwhile: str = "") -> dict[str, Any]:
    """The resume's first subscribe meets `refusal`; then `meanwhile` runs, and the second
    subscribe (on the same socket, it must come) is answered."""
    return run(  # type: ignore[no-any-return]
        js,
        f"""
        makeClient(["schedule"]);
        socket().open();
        const first = socket().last("subscribe");
        const refusedAt = Date.now();
        socket().deliver({refusal});
        await until(() => {SUBSCRIBES}.length === 2, 3000);
        const waited = Date.now() - refusedAt;
        const second = socket().last("subscribe");
        {meanwhile}
        answerSubscribe(5, {{ schedule: [slot("a", 1, 5)] }});
        await until(() => client.status.state === "live");
        return {{ waited, sockets: sockets.length, newId: second.id !== first.id,
                 topics: second.topics, a: !!held("slot", "a"), stale: !!held("slot", "stale"),
                 errors: window.errors }};
        """,
    )


def test_a_resume_subscribe_the_gateway_shed_is_resent_on_the_same_socket_with_a_new_id(
    js: Page,
) -> None:
    result = resent_after(
        js,
        # API Gateway could not run an invocation: its frame names no request
        '{ message: "Internal server error", connectionId: "c-1", requestId: "r-1" }',
        # the first id's answer, if it ever comes, is ignored
        """
        socket().deliver({ type: "snapshot", id: first.id, topic: "schedule", rev: 4, page: 1,
                           pages: 1, items: [slot("stale", 1, 4)] });
        socket().deliver({ type: "ack", id: first.id, action: "subscribe", rev: 4, pages: 1,
                           topics: ["schedule"] });
        """,
    )
    del result["waited"]
    assert result == {
        "sockets": 1,
        "newId": True,
        "topics": ["schedule"],
        "a": True,
        "stale": False,
        "errors": [],
    }


def test_a_resume_subscribe_refused_busy_is_resent_after_the_servers_hint(js: Page) -> None:
    result = resent_after(
        js, '{ type: "error", id: first.id, code: "busy", message: "x", retry_after_ms: 1200 }'
    )
    # the hint (1.2 s) is longer than the first backoff window (1 s): it decides
    assert 1195 <= result.pop("waited") <= 2000
    assert result["sockets"] == 1 and result["newId"] is True and result["a"] is True
    assert result["errors"] == []


def test_a_resume_subscribe_refused_past_its_patience_gives_the_socket_up(js: Page) -> None:
    result = run(
        js,
        """
        Math.random = () => 0.01;  // short backoffs
        makeClient(["schedule"]);
        socket().open();
        const first = socket();
        for (let i = 1; i <= 3; i++) {
          await until(() => first.sent.filter((f) => f.action === "subscribe").length === i);
          const sub = first.last("subscribe");
          first.deliver({ type: "error", id: sub.id, code: "internal", message: "x" });
        }
        await until(() => sockets.length === 2, 3000);
        return { sends: first.sent.filter((f) => f.action === "subscribe").length,
                 closeCode: first.closeCode, errors: window.errors };
        """,
    )
    # two resends (RESUME_PATIENCE), then the third refusal fails the resume
    assert result == {"sends": 3, "closeCode": 4000, "errors": ["internal"]}


def test_a_slow_resume_subscribe_on_a_socket_that_carries_frames_is_waited_for(
    js: Page,
) -> None:
    result = run(
        js,
        f"""
        makeClient(["schedule"], {{ requestTimeoutMs: 200, attemptFloorMs: 100 }});
        socket().open();
        const sub = socket().last("subscribe");
        // past the request timeout, but events keep arriving: slow, not lost
        for (let i = 0; i < 7; i++) {{
          event(slot("sl-" + i, 1, 4 + i));
          await tick(50);
        }}
        answerSubscribe(12, {{}});
        await until(() => client.status.state === "live");
        return {{ sockets: sockets.length, sends: {SUBSCRIBES}.length,
                 sameId: socket().last("subscribe").id === sub.id, errors: window.errors }};
        """,
    )
    assert result == {"sockets": 1, "sends": 1, "sameId": True, "errors": []}
