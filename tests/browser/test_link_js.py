"""client/web/link.js in Chromium: open, reconnect, heartbeat and the server clock.

The token travels as a subprotocol, not in the URL; reconnects are jittered; a silent link
is dead and a slow one is not, and a check that ran late (the page stalled) is confirmed
before the link is dropped; a write unanswered is resent with its id, on the same socket
or after a reconnect. The scripted WebSocket and the `js` fixture: tests/browser/scripted.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.browser.scripted import run

pytestmark = pytest.mark.browser


def test_the_token_travels_as_a_subprotocol_never_in_the_url(js: Page) -> None:
    opened = run(js, "makeClient(['schedule']); return [socket().url, socket().protocols];")
    url, protocols = opened
    assert url == "ws://example.invalid/local"
    assert protocols[0] == "mediaday.v1" and protocols[1].startswith("mdl1.")


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


def test_a_write_in_flight_is_resent_with_the_same_id_after_a_reconnect_and_its_ack_says_so(
    js: Page,
) -> None:
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
        // a write sent once: its ack carries no `resent` note
        const once = client.write({ action: "shot.set_status", shot_id: "s1", version: 2,
                                    status: "pending" });
        const single = socket().last("shot.set_status");
        socket().deliver({ type: "ack", id: single.id, action: "shot.set_status",
                           item: { ...item, status: "pending", version: 3, rev: 5 },
                           version: 3, rev: 5 });
        const first = await once;
        return { sameId: sent.id === resent.id, duplicate: ack.duplicate, resent: ack.resent,
                 onceResent: first.resent === undefined, status: held("shot", "s1").status };
        """,
    )
    assert result == {
        "sameId": True,
        "duplicate": True,
        "resent": True,
        "onceResent": True,
        "status": "pending",
    }


def test_a_silent_link_says_reconnecting_at_once_and_opens_a_new_socket_without_its_close(
    js: Page,
) -> None:
    result = run(
        js,
        """
        makeClient(["schedule"], { pongTimeoutMs: 150, heartbeatMs: 40 });
        socket().open();
        answerSubscribe(3, {});
        await until(() => client.status.ready);
        const first = socket();
        first.close = (code) => { first.closeCode = code; };  // a black hole: no onclose, ever
        const silentAt = Date.now();
        await until(() => client.status.state === "reconnecting", 3000);
        const noticed = Date.now() - silentAt;
        await until(() => sockets.length === 2, 3000);
        // heartbeat + pong timeout, and half a pong timeout more if a busy machine ran the
        // check late (then it is confirmed first)
        const limit = 40 + 150 + 100 + (client.confirmations ? 75 : 0);
        return { closeCode: first.closeCode, noticed, limit };
        """,
    )
    assert result["closeCode"] == 4001
    assert result["noticed"] <= result["limit"]


def test_a_slow_pong_on_a_link_that_carries_frames_keeps_it_live(js: Page) -> None:
    result = run(
        js,
        """
        makeClient(["schedule"], { pongTimeoutMs: 150, heartbeatMs: 60 });
        socket().open();
        answerSubscribe(3, {});
        await until(() => client.status.ready);
        // no pong for 600 ms, but events keep arriving: slow, not silent
        for (let i = 0; i < 12; i++) {
          event(slot("sl-" + i, 1, 4 + i));
          await tick(50);
        }
        return { sockets: sockets.length, state: client.status.state };
        """,
    )
    assert result == {"sockets": 1, "state": "live"}


def test_an_unanswered_write_is_resent_on_the_same_socket_and_never_reported_failed(
    js: Page,
) -> None:
    result = run(
        js,
        """
        makeClient(["shots:st-1"], { requestTimeoutMs: 300, attemptFloorMs: 100 });
        socket().open();
        answerSubscribe(3, {});
        await until(() => client.status.ready);
        let settled = "pending";
        const answer = client.write({ action: "shot.set_status", shot_id: "s1", version: 1,
                                      status: "captured" });
        answer.then(() => { settled = "applied"; }, (e) => { settled = e.code; });
        // no answer: resent on this socket with the same id (backed off), past the deadline
        await until(() => socket().sent.filter((f) => f.action === "shot.set_status").length >= 2,
                    5000);
        await tick(400);
        const sends = socket().sent.filter((f) => f.action === "shot.set_status");
        const stillPending = settled;
        const item = { type: "shot", id: "s1", station_id: "st-1", talent_id: "t-1",
                       description: "x", status: "captured", version: 2, rev: 4 };
        socket().deliver({ type: "ack", id: sends[0].id, action: "shot.set_status", item,
                           version: 2, rev: 4 });
        await answer;
        return { sockets: sockets.length, sameId: sends.every((f) => f.id === sends[0].id),
                 resends: sends.length - 1, stillPending, settled };
        """,
    )
    assert result["sockets"] == 1 and result["sameId"] is True
    assert 1 <= result["resends"] <= 3
    assert result["stillPending"] == "pending" and result["settled"] == "applied"


def test_a_busy_write_is_retried_after_the_servers_hint(js: Page) -> None:
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
        const refusedAt = Date.now();
        socket().deliver({ type: "error", id: sent.id, code: "busy", message: "overloaded",
                           retry_after_ms: 200 });
        await until(() => socket().sent.filter((f) => f.action === "shot.set_status").length === 2);
        const waited = Date.now() - refusedAt;
        const item = { type: "shot", id: "s1", station_id: "st-1", talent_id: "t-1",
                       description: "x", status: "captured", version: 2, rev: 4 };
        socket().deliver({ type: "ack", id: sent.id, action: "shot.set_status", item,
                           version: 2, rev: 4 });
        const ack = await answer;
        return { waited, version: ack.version, errors: window.errors };
        """,
    )
    assert result["waited"] >= 195
    assert result["version"] == 2 and result["errors"] == []


# A stalled page: the check's timer and a frame's delivery both fall due during the stall, and
# the timer runs first (as after a long task, a busy laptop or a throttled tab).
STALL = """
    makeClient(["schedule"], { pongTimeoutMs: 300 });
    socket().open();
    answerSubscribe(3, {});
    await until(() => client.status.ready);
    const ping = socket().last("ping");  // the first ping, not answered yet
    const pong = () => socket().deliver({ type: "pong", id: ping.id });
    if (PONG) setTimeout(pong, 350);  // falls due after the pong check, inside the stall
    const stalled = Date.now() + 600;
    while (Date.now() < stalled) {}  // this page's event loop is blocked for 600 ms
    const resumed = Date.now();
"""


def test_a_late_pong_check_is_confirmed_and_a_frame_read_after_the_stall_keeps_the_link(
    js: Page,
) -> None:
    result = run(
        js,
        STALL.replace("PONG", "true")
        + """
        await tick(400);  // longer than the confirmation (half a pong timeout)
        return { sockets: sockets.length, state: client.status.state,
                 confirmations: client.confirmations,
                 pings: socket().sent.filter((f) => f.action === "ping").length };
        """,
    )
    assert result == {"sockets": 1, "state": "live", "confirmations": 1, "pings": 2}


def test_a_late_pong_check_on_a_silent_link_reconnects_after_its_confirmation(js: Page) -> None:
    result = run(
        js,
        STALL.replace("PONG", "false")
        + """
        const first = socket();
        await until(() => client.status.state === "reconnecting", 3000);
        return { waited: Date.now() - resumed, confirmations: client.confirmations,
                 closeCode: first.closeCode,
                 pings: first.sent.filter((f) => f.action === "ping").length };
        """,
    )
    # confirmed by one more ping and half a pong timeout, then dropped
    assert result["confirmations"] >= 1 and result["pings"] >= 2
    assert result["closeCode"] == 4001
    assert 140 <= result["waited"] <= 150 * result["confirmations"] + 250
