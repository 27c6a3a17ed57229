"""client/web/mediaday.js in Chromium, against a scripted WebSocket inside the page.

The WebSocket is replaced by a tiny in-page double that records what the client sends and
lets the test deliver frames in any order, so the delivery rules can be checked exactly:
pages before the ack, version merge, topic membership, watermarks, resume, heartbeat.
The same client is tested against the real local stack in test_views.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "client" / "web" / "mediaday.js"

# A WebSocket double: `sockets` are the ones the client opened, newest last.
SCRIPTED_SOCKET = """
window.sockets = [];
class ScriptedSocket {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
  send(text) { this.sent.push(JSON.parse(text)); }
  close(code) {
    if (this.readyState === 3) return;
    this.readyState = 3; this.closeCode = code;
    setTimeout(() => this.onclose && this.onclose({ code }), 0);
  }
  open() { this.readyState = 1; this.onopen && this.onopen(); }
  deliver(frame) {
    const stamped = Object.assign({ server_time: Date.now() }, frame);
    this.onmessage && this.onmessage({ data: JSON.stringify(stamped) });
  }
  drop() { this.readyState = 3; this.onclose && this.onclose({ code: 1006 }); }
  last(action) { return this.sent.filter((f) => f.action === action).pop(); }
}
ScriptedSocket.OPEN = 1;
window.WebSocket = ScriptedSocket;
window.socket = () => sockets[sockets.length - 1];
window.tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
window.until = async (check, ms = 2000) => {
  const end = Date.now() + ms;
  while (!check()) { if (Date.now() > end) throw new Error("timed out: " + check); await tick(5); }
};
window.makeClient = (topics, extra) => {
  window.changes = 0;
  window.errors = [];
  window.client = new MediaDay.Client(Object.assign({
    url: "ws://example.invalid/local", token: "mdl1.eyJyb2xlIjoia2lvc2siLCJzdCI6InN0LTEifQ.sig",
    topics, heartbeatMs: 60000, backoffBaseMs: 10, backoffMaxMs: 40,
    onChange: () => { window.changes += 1; },
    onError: (error) => { window.errors.push(error.code); },
  }, extra || {}));
  client.start();
  return client;
};
// Answer the latest subscribe with one snapshot page per topic, then the ack.
window.answerSubscribe = (rev, itemsByTopic) => {
  const request = socket().last("subscribe");
  const topics = request.topics;
  topics.forEach((topic, i) => socket().deliver({ type: "snapshot", id: request.id, topic, rev,
    page: i + 1, pages: topics.length, items: (itemsByTopic || {})[topic] || [] }));
  socket().deliver({ type: "ack", id: request.id, action: "subscribe", rev,
                     pages: topics.length, topics });
};
window.answerSync = (rev, items) => {
  const request = socket().last("sync");
  socket().deliver({ type: "sync", id: request.id, since: request.since, rev, page: 1, pages: 1,
                     items: items || [] });
  socket().deliver({ type: "ack", id: request.id, action: "sync", rev, pages: 1,
                     topics: request.topics });
};
window.slot = (id, version, rev, extra) => Object.assign({ type: "slot", id, version, rev,
  station_id: "st-1", talent_id: "t-1", starts_at: "2026-11-25T10:00:00Z",
  ends_at: "2026-11-25T10:15:00Z" }, extra || {});
window.event = (item) => socket().deliver({ type: "event", topic: "schedule", change: "updated",
  item_type: item.type, item_id: item.id, item, version: item.version, rev: item.rev });
window.held = (type, id) => client.mirror.get(type, id);
"""


@pytest.fixture
def js(page: Page) -> Page:
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(content=SCRIPTED_SOCKET)
    page.add_script_tag(path=str(SCRIPT))
    return page


def run(page: Page, body: str) -> Any:
    """Run an async JavaScript body in the page and return its result."""
    return page.evaluate(f"async () => {{ {body} }}")


def test_the_token_travels_in_the_query_string(js: Page) -> None:
    url = run(js, "makeClient(['schedule']); return socket().url;")
    assert url.startswith("ws://example.invalid/local?token=mdl1.")


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


def test_token_claims_are_decoded_for_display(js: Page) -> None:
    claims = run(js, 'return MediaDay.tokenClaims("mdl1.eyJyb2xlIjoiY3JldyIsInN0Ijoic3QtMSJ9.x");')
    assert claims == {"role": "crew", "st": "st-1"}
    assert run(js, 'return MediaDay.tokenClaims("garbage");') is None


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
