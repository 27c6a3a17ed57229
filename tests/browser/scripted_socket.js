// A WebSocket double for the browser tests of the client scripts (tests/browser/scripted.py).
// `sockets` are the ones the client opened, newest last; a test delivers frames in any
// order, so the delivery rules can be checked exactly.
window.sockets = [];
class ScriptedSocket {
  constructor(url, protocols) {
    this.url = url; this.protocols = protocols; this.readyState = 0; this.sent = []; sockets.push(this);
  }
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
// One `events` frame (a stream batch): [item, topics] pairs, in the order given.
window.events = (...entries) => socket().deliver({ type: "events", changes: entries.map(
  ([item, topics]) => ({ topics: topics || ["schedule"], change: "updated", item_type: item.type,
    item_id: item.id, item, version: item.version, rev: item.rev })) });
window.held = (type, id) => client.mirror.get(type, id);
