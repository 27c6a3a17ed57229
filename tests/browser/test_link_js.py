"""client/web/link.js in Chromium: open, reconnect, heartbeat and the server clock.

The token travels in the query string; reconnects are jittered; a late pong means a dead
link; a write in flight is resent with its id. The scripted WebSocket and the `js` fixture:
tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser


def test_the_token_travels_in_the_query_string(js: Page) -> None:
    url = run(js, "makeClient(['schedule']); return socket().url;")
    assert url.startswith("ws://example.invalid/local?token=mdl1.")


def test_reconnect_delays_are_jittered_and_grow_up_to_the_cap(js: Page) -> None:
    delays = run(
        js,
        """
        makeClient(["schedule"], { backoffBaseMs: 1000, backoffMaxMs: 4000 });
        const seen = [];
        for (let i = 0; i < 40; i++) {
          client.attempt = i % 5;
          client._scheduleReconnect();
          seen.push([i % 5, client.status.retryAt - Date.now()]);
        }
        client.stop();
        return seen;
        """,
    )
    for attempt, delay in delays:
        assert 0 <= delay <= min(4000, 1000 * 2**attempt) + 5
    assert len({round(delay) for _, delay in delays}) > 10  # jittered, not fixed steps


def test_the_pong_gives_the_server_clock_offset(js: Page) -> None:
    offset = run(
        js,
        """
        makeClient(["schedule"]);
        socket().open();
        const ping = socket().last("ping");
        await tick(20);
        // the server's clock runs 90 s ahead of this screen's
        socket().deliver({ type: "pong", id: ping.id, server_time: Date.now() - 10 + 90000 });
        await until(() => client.offsetSamples.length === 1);
        return client.clockOffsetMs;
        """,
    )
    assert 89_900 <= offset <= 90_100


def test_no_pong_in_time_means_a_dead_link_and_a_reconnect(js: Page) -> None:
    result = run(
        js,
        """
        // pings every 40 ms: the deadline runs from the oldest unanswered one
        makeClient(["schedule"], { pongTimeoutMs: 150, heartbeatMs: 40 });
        socket().open();
        answerSubscribe(3, {});
        await until(() => client.status.ready);
        const first = socket();
        // the pings go unanswered (a Wi-Fi drop leaves the socket looking open)
        await until(() => sockets.length === 2, 3000);
        return { closeCode: first.closeCode, state: client.status.state };
        """,
    )
    assert result == {"closeCode": 4001, "state": "reconnecting"}


def test_a_write_in_flight_is_resent_with_the_same_id_after_a_reconnect(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["shots:st-1"]);
        socket().open();
        answerSubscribe(3, {});
        await until(() => client.status.ready);
        const answer = client.write({ action: "shot.set_status", shot_id: "s1", version: 1,
                                      status: "captured" });
        const sent = socket().last("shot.set_status");
        socket().drop();
        await until(() => sockets.length === 2);
        socket().open();
        answerSubscribe(4, {});
        await until(() => socket().last("shot.set_status"));
        const resent = socket().last("shot.set_status");
        const item = { type: "shot", id: "s1", station_id: "st-1", talent_id: "t-1",
                       description: "x", status: "captured", version: 2, rev: 4 };
        socket().deliver({ type: "ack", id: resent.id, action: "shot.set_status", item,
                           version: 2, rev: 4, duplicate: true });
        const ack = await answer;
        return { sameId: sent.id === resent.id, duplicate: ack.duplicate,
                 status: held("shot", "s1").status };
        """,
    )
    assert result == {"sameId": True, "duplicate": True, "status": "captured"}
