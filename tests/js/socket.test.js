import assert from "node:assert/strict";
import { test } from "node:test";

import { RealtimeSocket } from "../../realtime/static/realtime/js/socket.js";
import { FakeClock, fakeWebSocketClass, settle } from "./fake_socket.js";

const URL = "ws://test/api/ws";
const ALMOST_ONE = 1 - Number.EPSILON;

/** A socket on a fake transport and a fake clock; `states` records every state change. */
function setup(options = {}) {
  const WS = fakeWebSocketClass();
  const clock = new FakeClock();
  const socket = new RealtimeSocket(URL, {
    WebSocket: WS,
    setTimeout: clock.setTimeout,
    clearTimeout: clock.clearTimeout,
    random: () => 0.5,
    ...options,
  });
  const states = [];
  const infos = [];
  socket.onState((state, info) => {
    states.push(state);
    infos.push({ state, ...info });
  });
  return { WS, clock, socket, states, infos };
}

/** Advances the clock past the pending reconnect delay (and lets an async token run). */
async function reconnect(ctx) {
  const last = ctx.infos.findLast((info) => info.state === "reconnecting");
  ctx.clock.tick(last.delay);
  await settle();
  return ctx.WS.last;
}

function event(id, type = "order:created", namespace = "orders", data = { id }) {
  return { type, id, namespace, ts: "2026-11-26T10:00:00Z", data };
}

// Connect and auth

test("connect → auth with a fresh token on every (re)connect, before subscribes", async () => {
  const tokens = ["t1", "t2"];
  let calls = 0;
  const ctx = setup({ token: async () => tokens[calls++] });
  ctx.socket.subscribe("orders");
  ctx.socket.connect();
  assert.equal(ctx.WS.instances.length, 0, "the token is fetched before opening");
  await settle();
  const ws = ctx.WS.last;
  assert.equal(ws.url, URL);
  ws.open();
  assert.deepEqual(ws.frames, [], "nothing is sent before `connected`");
  ws.accept();
  assert.deepEqual(ws.frames.map((f) => [f.type, f.data]), [
    ["auth", { token: "t1" }],
    ["subscribe", { namespace: "orders" }],
  ]);
  assert.ok(ws.frames.every((f) => typeof f.ref === "string"));
  ws.serverClose(4001, "role changed");
  const ws2 = await reconnect(ctx);
  ws2.accept();
  assert.deepEqual(ws2.framesOf("auth").map((f) => f.data), [{ token: "t2" }]);
  assert.equal(calls, 2);
});

test("a null token sends no auth; connection data is kept and updated by authenticated", async () => {
  const ctx = setup({ token: () => null });
  ctx.socket.connect();
  await settle();
  const ws = ctx.WS.last;
  ws.accept({ role: "guest" });
  assert.deepEqual(ws.framesOf("auth"), []);
  assert.equal(ctx.socket.connection.role, "guest");
  const seen = [];
  ctx.socket.on("authenticated", (data) => seen.push(data.role));
  ws.receive({ type: "authenticated", data: { userId: 3, role: "staff", namespaces: [] } });
  assert.deepEqual(seen, ["staff"]);
  assert.equal(ctx.socket.connection.role, "staff");
});

test("without a token option the socket opens at once and never sends auth", () => {
  const ctx = setup();
  ctx.socket.connect();
  ctx.WS.last.accept();
  assert.equal(ctx.socket.state, "open");
  assert.deepEqual(ctx.WS.last.frames, []);
});

test("a token() that throws counts as a failed attempt and is retried", async () => {
  let calls = 0;
  const ctx = setup({
    token: async () => {
      calls += 1;
      if (calls === 1) throw new Error("network down");
      return "t2";
    },
  });
  ctx.socket.connect();
  await settle();
  assert.equal(ctx.WS.instances.length, 0);
  assert.deepEqual(ctx.states, ["connecting", "closed", "reconnecting"]);
  assert.equal(ctx.infos[1].code, 1006);
  const ws = await reconnect(ctx);
  ws.accept();
  assert.deepEqual(ws.framesOf("auth").map((f) => f.data.token), ["t2"]);
});

// Subscriptions, resume and dedupe

test("resubscribe after reconnect with since = the last event id seen", () => {
  const ctx = setup();
  const ws = (ctx.socket.connect(), ctx.WS.last);
  ws.accept();
  ctx.socket.subscribe("orders");
  ctx.socket.subscribe("products");
  assert.deepEqual(ws.framesOf("subscribe").map((f) => f.data),
    [{ namespace: "orders" }, { namespace: "products" }]);
  ws.receive({ type: "subscribed", data: { namespace: "orders", lastEventId: 10, recovered: false } });
  ws.receive(event(11));
  ws.receive(event(14));
  ws.receive(event(12, "product:updated", "products"));
  ws.serverClose(1006);
  const ws2 = reconnectSync(ctx);
  ws2.accept();
  assert.deepEqual(ws2.framesOf("subscribe").map((f) => f.data),
    [{ namespace: "orders", since: 14 }, { namespace: "products", since: 12 }]);
  assert.deepEqual([...ctx.socket.subscriptions], [["orders", 14], ["products", 12]]);
});

/** reconnect() without a token: no promise to wait for. */
function reconnectSync(ctx) {
  const last = ctx.infos.findLast((info) => info.state === "reconnecting");
  ctx.clock.tick(last.delay);
  return ctx.WS.last;
}

test("a quiet namespace resumes from the lastEventId of its subscribed frame", () => {
  const ctx = setup();
  ctx.socket.subscribe("inventory");
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  ws.receive({ type: "subscribed", data: { namespace: "inventory", lastEventId: 40, recovered: false } });
  ws.serverClose(1001);
  const ws2 = reconnectSync(ctx);
  ws2.accept();
  assert.deepEqual(ws2.framesOf("subscribe")[0].data, { namespace: "inventory", since: 40 });
  // A resumed subscription keeps its since until replayed events move it.
  ws2.receive({ type: "subscribed", data: { namespace: "inventory", lastEventId: 90, recovered: true } });
  assert.equal(ctx.socket.subscriptions.get("inventory"), 40);
  ws2.receive(event(41, "inventory:updated", "inventory"));
  assert.equal(ctx.socket.subscriptions.get("inventory"), 41);
});

test("unsubscribe sends the frame and forgets the namespace", () => {
  const ctx = setup();
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  ctx.socket.subscribe("orders");
  ctx.socket.subscribe("orders");
  ws.receive(event(5));
  ctx.socket.unsubscribe("orders");
  ctx.socket.unsubscribe("orders");
  assert.deepEqual(ws.frames.map((f) => [f.type, f.data.namespace]),
    [["subscribe", "orders"], ["unsubscribe", "orders"]]);
  ws.serverClose(1001);
  const ws2 = reconnectSync(ctx);
  ws2.accept();
  assert.deepEqual(ws2.framesOf("subscribe"), []);
});

test("duplicate event ids are dropped, within a bounded window", () => {
  const ctx = setup({ dedupeWindow: 3 });
  ctx.socket.subscribe("orders");
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  const got = [];
  ctx.socket.on("*", (data, frame) => got.push(frame.id));
  ws.receive(event(1));
  ws.receive(event(2));
  ws.receive(event(1));
  ws.serverClose(1006);
  const ws2 = reconnectSync(ctx);
  ws2.accept();
  ws2.receive(event(2)); // replayed and live: once
  ws2.receive(event(3));
  ws2.receive(event(4));
  ws2.receive(event(5)); // the window holds 3 ids: 1 and 2 are forgotten
  ws2.receive(event(1));
  assert.deepEqual(got, [1, 2, 3, 4, 5, 1]);
});

test("batch frames dispatch each event in order, duplicates dropped", () => {
  const ctx = setup();
  ctx.socket.subscribe("orders");
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  const got = [];
  ctx.socket.on("*", (data, frame) => got.push([frame.type, frame.id]));
  ctx.socket.on("batch", () => got.push("batch listener"));
  ws.receive(event(7));
  ws.receive({
    type: "batch",
    data: [event(7), event(8, "order:updated"), event(9, "product:created", "products")],
  });
  assert.deepEqual(got,
    [["order:created", 7], ["order:updated", 8], ["product:created", 9]]);
  assert.equal(ctx.socket.subscriptions.get("orders"), 8);
});

test("reset: listeners get it and the namespace resubscribes without since", () => {
  const ctx = setup();
  ctx.socket.subscribe("orders");
  ctx.socket.subscribe("products");
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  ws.receive(event(30));
  ws.receive(event(31, "product:updated", "products"));
  ws.serverClose(1001);
  const ws2 = reconnectSync(ctx);
  ws2.accept();
  const resets = [];
  ctx.socket.on("reset", (data) => resets.push(data));
  ws2.receive({ type: "subscribed", data: { namespace: "orders", lastEventId: 5, recovered: false } });
  ws2.receive({ type: "reset", data: { namespace: "orders", reason: "gone" } });
  assert.deepEqual(resets, [{ namespace: "orders", reason: "gone" }]);
  assert.equal(ctx.socket.subscriptions.get("orders"), null);
  // The log was replaced: an id seen before in that namespace is a new event now.
  const got = [];
  ctx.socket.on("orders:*", (data, frame) => got.push(frame.id));
  ws2.receive(event(30));
  assert.deepEqual(got, [30]);
  ws2.receive({ type: "reset", data: { namespace: "orders", reason: "gone" } });
  ws2.serverClose(1001);
  const ws3 = reconnectSync(ctx);
  ws3.accept();
  assert.deepEqual(ws3.framesOf("subscribe").map((f) => f.data),
    [{ namespace: "orders" }, { namespace: "products", since: 31 }]);
});

// Listeners

test("on() by type, namespace wildcard and '*'; the returned function unsubscribes", () => {
  const ctx = setup();
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  const got = [];
  const offType = ctx.socket.on("order:created", (data) => got.push(["type", data.id]));
  const offNs = ctx.socket.on("orders:*", (data, frame) => got.push(["ns", frame.type]));
  const offAll = ctx.socket.on("*", (data, frame) => got.push(["all", frame.id]));
  ctx.socket.on("order:*", () => got.push(["wrong wildcard"]));
  ws.receive(event(1));
  ws.receive(event(2, "order:updated"));
  ws.receive(event(3, "product:created", "products"));
  assert.deepEqual(got, [
    ["type", 1], ["ns", "order:created"], ["all", 1],
    ["ns", "order:updated"], ["all", 2],
    ["all", 3],
  ]);
  got.length = 0;
  offType();
  offNs();
  offAll();
  offAll();
  ws.receive(event(4));
  assert.deepEqual(got, []);
});

test("control frames reach their listeners; '*' hears events only", () => {
  const ctx = setup();
  ctx.socket.connect();
  const ws = ctx.WS.last;
  const got = [];
  for (const type of ["connected", "subscribed", "unsubscribed", "error", "pong", "*"]) {
    ctx.socket.on(type, (data) => got.push([type, data]));
  }
  ws.accept({ connectionId: "abc" });
  ws.receive({ type: "error", data: { code: "forbidden", message: "no" }, ref: "1" });
  ws.receive({ type: "pong", data: { ts: 1 } });
  ws.receive({ type: "unsubscribed", data: { namespace: "orders" } });
  ws.receive("not json");
  ws.receive({ no: "type" });
  assert.deepEqual(got.map(([type]) => type), ["connected", "error", "pong", "unsubscribed"]);
  assert.equal(got[0][1].connectionId, "abc");
  assert.deepEqual(got[1][1], { code: "forbidden", message: "no" });
});

test("a listener that throws does not stop the others or the socket", () => {
  const logs = [];
  const ctx = setup({ logger: (kind, msg) => logs.push(kind) });
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  const got = [];
  ctx.socket.on("order:created", () => { throw new Error("boom"); });
  ctx.socket.on("order:created", (data) => got.push(data.id));
  ws.receive(event(1));
  ws.receive({ type: "ping", data: { ts: 5 } });
  assert.deepEqual(got, [1]);
  assert.ok(logs.includes("listener"));
  assert.equal(ws.framesOf("pong").length, 1);
});

// Heartbeat

test("server ping is answered with pong carrying the same data", () => {
  const ctx = setup();
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  ws.receive({ type: "ping", data: { ts: 1_764_151_200_000 } });
  assert.deepEqual(ws.frames.map((f) => [f.type, f.data]),
    [["pong", { ts: 1_764_151_200_000 }]]);
});

test("a silent server is dead after heartbeat interval + timeout: close and reconnect", () => {
  const ctx = setup();
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept({ heartbeat: { interval: 1000, timeout: 500 } });
  ctx.clock.tick(1499);
  assert.equal(ctx.socket.state, "open");
  ws.receive({ type: "ping", data: { ts: 1 } }); // any frame proves the server alive
  ctx.clock.tick(1499);
  assert.equal(ctx.socket.state, "open");
  ctx.clock.tick(1);
  assert.deepEqual(ctx.states, ["connecting", "open", "closed", "reconnecting"]);
  const closed = ctx.infos[2];
  assert.equal(closed.code, 4000);
  assert.equal(closed.reason, "heartbeat timeout");
  assert.deepEqual(ws.closeCalls, [{ code: 1000, reason: "heartbeat timeout" }]);
  ws.serverClose(1006); // the old transport's late close is ignored
  assert.equal(ctx.states.length, 4);
  const ws2 = reconnectSync(ctx);
  assert.notEqual(ws2, ws);
  ws2.accept();
  assert.equal(ctx.socket.state, "open");
});

test("no connected frame within connectTimeout → closed with 1006 and retried", () => {
  const ctx = setup({ connectTimeout: 2000 });
  ctx.socket.connect();
  ctx.WS.last.open();
  ctx.clock.tick(1999);
  assert.equal(ctx.socket.state, "connecting");
  ctx.clock.tick(1);
  assert.deepEqual(ctx.states, ["connecting", "closed", "reconnecting"]);
  assert.equal(ctx.infos[1].code, 1006);
});

// Close codes and backoff

for (const code of [4500, 4503]) {
  test(`${code} stops without reconnecting`, () => {
    const ctx = setup();
    ctx.socket.connect();
    ctx.WS.last.accept();
    ctx.WS.last.serverClose(code, "bye");
    assert.deepEqual(ctx.states, ["connecting", "open", "closed"]);
    assert.equal(ctx.infos[2].willReconnect, false);
    assert.equal(ctx.clock.pending, 0);
    ctx.clock.tick(10 * 60_000);
    assert.equal(ctx.WS.instances.length, 1);
    assert.equal(ctx.socket.state, "closed");
  });
}

for (const code of [4000, 4001, 1001, 1006, 1000, 1011, 1012]) {
  test(`${code} reconnects with the normal backoff`, () => {
    const ctx = setup({ random: () => ALMOST_ONE });
    ctx.socket.connect();
    ctx.WS.last.accept();
    ctx.WS.last.serverClose(code);
    assert.deepEqual(ctx.states, ["connecting", "open", "closed", "reconnecting"]);
    assert.equal(ctx.infos[2].willReconnect, true);
    assert.equal(ctx.infos[3].delay, 499);
    ctx.clock.tick(498);
    assert.equal(ctx.WS.instances.length, 1);
    ctx.clock.tick(1);
    assert.equal(ctx.WS.instances.length, 2);
    assert.equal(ctx.socket.state, "connecting");
  });
}

for (const code of [4013, 4008, 1013, 1008]) {
  test(`${code} reconnects after the long backoff`, () => {
    const ctx = setup({ random: () => 0 });
    ctx.socket.connect();
    ctx.WS.last.accept();
    ctx.WS.last.serverClose(code);
    const delay = ctx.infos.at(-1).delay;
    assert.ok(delay >= 15_000, `delay ${delay}`);
    ctx.clock.tick(delay - 1);
    assert.equal(ctx.WS.instances.length, 1);
    ctx.clock.tick(1);
    ctx.WS.last.fail(); // the next failure is not a long-backoff code: the normal backoff
    assert.equal(ctx.infos.at(-1).delay, 0);
  });
}

test("backoff grows with each failed attempt, within the jitter bounds", () => {
  const ctx = setup({ random: () => ALMOST_ONE, maxAttempts: 10 });
  ctx.socket.connect();
  ctx.WS.last.fail();
  for (let i = 0; i < 8; i += 1) reconnectSync(ctx).fail();
  const delays = ctx.infos.filter((i) => i.state === "reconnecting").map((i) => i.delay);
  assert.deepEqual(delays, [499, 999, 1999, 3999, 7999, 15_999, 29_999, 29_999, 29_999]);
  const attempts = ctx.infos.filter((i) => i.state === "reconnecting").map((i) => i.attempt);
  assert.deepEqual(attempts, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("a custom backoff gets the try number", () => {
  const asked = [];
  const ctx = setup({ backoff: (tries) => (asked.push(tries), 42) });
  ctx.socket.connect();
  ctx.WS.last.fail();
  reconnectSync(ctx).fail();
  assert.deepEqual(asked, [1, 2]);
  assert.equal(ctx.infos.at(-1).delay, 42);
});

test("gives up with state failed after maxAttempts reconnect attempts", () => {
  const ctx = setup({ maxAttempts: 2 });
  ctx.socket.connect();
  ctx.WS.last.fail();
  reconnectSync(ctx).fail();
  reconnectSync(ctx).fail();
  assert.deepEqual(ctx.states, [
    "connecting", "closed", "reconnecting",
    "connecting", "closed", "reconnecting",
    "connecting", "closed", "failed",
  ]);
  assert.equal(ctx.infos.at(-2).willReconnect, false);
  assert.deepEqual(ctx.infos.at(-1), { state: "failed", attempts: 2, code: 1006 });
  assert.equal(ctx.WS.instances.length, 3);
  assert.equal(ctx.clock.pending, 0);
  // connect() starts over with a fresh count.
  ctx.socket.connect();
  ctx.WS.last.accept();
  assert.equal(ctx.socket.state, "open");
});

test("a successful open resets the attempt count", () => {
  const ctx = setup({ maxAttempts: 2, random: () => ALMOST_ONE });
  ctx.socket.connect();
  ctx.WS.last.fail();
  reconnectSync(ctx).fail();
  reconnectSync(ctx).accept();
  ctx.WS.last.serverClose(1001);
  assert.equal(ctx.infos.at(-1).attempt, 1);
  assert.equal(ctx.infos.at(-1).delay, 499);
  reconnectSync(ctx).fail();
  reconnectSync(ctx).fail();
  assert.equal(ctx.socket.state, "failed");
  assert.equal(ctx.WS.instances.length, 5, "1 + 2 attempts, open, then 2 attempts again");
});

test("maxAttempts: Infinity never gives up; delays stay capped", () => {
  const ctx = setup({ maxAttempts: Infinity, random: () => ALMOST_ONE });
  ctx.socket.connect();
  ctx.WS.last.fail();
  for (let i = 0; i < 200; i += 1) reconnectSync(ctx).fail();
  assert.equal(ctx.socket.state, "reconnecting");
  assert.equal(ctx.infos.at(-1).attempt, 201);
  assert.equal(ctx.infos.at(-1).delay, 29_999);
  assert.ok(!ctx.states.includes("failed"));
});

// Sending

test("send buffers while disconnected (bounded) and flushes after auth and subscribes", async () => {
  const logs = [];
  const ctx = setup({ bufferSize: 2, token: () => "tok", logger: (kind, msg) => logs.push(msg) });
  ctx.socket.subscribe("orders");
  const ref0 = ctx.socket.send("ping", { ts: 0 });
  ctx.socket.send("ping", { ts: 1 });
  ctx.socket.activity("viewing_product", { productId: 7 });
  assert.equal(typeof ref0, "string");
  assert.ok(logs.some((msg) => msg.includes("buffer full")));
  ctx.socket.connect();
  await settle();
  const ws = ctx.WS.last;
  ws.open();
  ctx.socket.send("ping", { ts: 2 }); // open transport, no `connected` yet: still buffered
  assert.deepEqual(ws.frames, []);
  ws.accept();
  assert.deepEqual(ws.frames.map((f) => [f.type, f.data]), [
    ["auth", { token: "tok" }],
    ["subscribe", { namespace: "orders" }],
    ["activity", { productId: 7, action: "viewing_product" }],
    ["ping", { ts: 2 }],
  ]);
  ws.clearSent();
  const ref = ctx.socket.send("ping", { ts: 3 });
  assert.deepEqual(ws.frames, [{ type: "ping", data: { ts: 3 }, ref }]);
});

test("frames sent while reconnecting are delivered on the next open", () => {
  const ctx = setup();
  ctx.socket.connect();
  ctx.WS.last.accept();
  ctx.WS.last.serverClose(1001);
  ctx.socket.activity("added_to_cart", { productId: 1, quantity: 2 });
  assert.deepEqual(ctx.WS.last.frames, []);
  const ws2 = reconnectSync(ctx);
  ws2.accept();
  assert.deepEqual(ws2.frames.map((f) => f.data),
    [{ productId: 1, quantity: 2, action: "added_to_cart" }]);
});

// States

test("state events in order, through on() and onState()", () => {
  const ctx = setup();
  const viaOn = [];
  for (const state of ["connecting", "open", "closed", "reconnecting", "failed"]) {
    ctx.socket.on(state, (info) => viaOn.push([state, info]));
  }
  assert.equal(ctx.socket.state, "closed");
  ctx.socket.connect();
  ctx.socket.connect(); // no-op while connecting
  ctx.WS.last.accept();
  ctx.WS.last.serverClose(1001, "shutdown");
  reconnectSync(ctx).accept();
  ctx.socket.disconnect();
  const expected = ["connecting", "open", "closed", "reconnecting", "connecting", "open", "closed"];
  assert.deepEqual(ctx.states, expected);
  assert.deepEqual(viaOn.map(([state]) => state), expected);
  assert.deepEqual(viaOn[2][1], { code: 1001, reason: "shutdown", wasClean: true, willReconnect: true });
  assert.equal(viaOn[1][1].connection.connectionId, "c1");
  assert.equal(ctx.WS.instances.length, 2);
});

test("onState returns an unsubscribe function", () => {
  const ctx = setup();
  const seen = [];
  const off = ctx.socket.onState((state) => seen.push(state));
  ctx.socket.connect();
  off();
  ctx.WS.last.accept();
  assert.deepEqual(seen, ["connecting"]);
});

test("disconnect closes cleanly and stops reconnecting", () => {
  const ctx = setup();
  ctx.socket.subscribe("orders");
  ctx.socket.connect();
  const ws = ctx.WS.last;
  ws.accept();
  ctx.socket.send("ping", {});
  ctx.socket.disconnect();
  assert.deepEqual(ws.closeCalls, [{ code: 1000, reason: "" }]);
  assert.equal(ctx.socket.state, "closed");
  ws.serverClose(1000); // its close event comes later: ignored
  ctx.clock.tick(10 * 60_000);
  assert.equal(ctx.WS.instances.length, 1);
  assert.deepEqual(ctx.states, ["connecting", "open", "closed"]);
  ctx.socket.disconnect();
  assert.deepEqual(ctx.states, ["connecting", "open", "closed"]);
  // A later connect() resumes the subscriptions.
  ctx.socket.connect();
  ctx.WS.last.accept();
  assert.deepEqual(ctx.WS.last.framesOf("subscribe").map((f) => f.data), [{ namespace: "orders" }]);
});

test("disconnect while reconnecting cancels the pending attempt", () => {
  const ctx = setup();
  ctx.socket.connect();
  ctx.WS.last.accept();
  ctx.WS.last.serverClose(1001);
  assert.equal(ctx.socket.state, "reconnecting");
  ctx.socket.disconnect();
  assert.equal(ctx.clock.pending, 0);
  ctx.clock.tick(60_000);
  assert.equal(ctx.WS.instances.length, 1);
  assert.equal(ctx.socket.state, "closed");
});

test("disconnect while the token is being fetched opens nothing", async () => {
  let resolve;
  const ctx = setup({ token: () => new Promise((r) => { resolve = r; }) });
  ctx.socket.connect();
  ctx.socket.disconnect();
  resolve("late");
  await settle();
  assert.equal(ctx.WS.instances.length, 0);
  assert.deepEqual(ctx.states, ["connecting", "closed"]);
});

test("a closed listener may call disconnect() to stop a reconnect", () => {
  const ctx = setup();
  ctx.socket.on("closed", () => ctx.socket.disconnect());
  ctx.socket.connect();
  ctx.WS.last.accept();
  ctx.WS.last.serverClose(1001);
  assert.deepEqual(ctx.states, ["connecting", "open", "closed"]);
  assert.equal(ctx.clock.pending, 0);
});

test("a connecting listener may call disconnect(): no transport is created", () => {
  const ctx = setup();
  const off = ctx.socket.on("connecting", () => ctx.socket.disconnect());
  ctx.socket.connect();
  assert.equal(ctx.WS.instances.length, 0);
  assert.deepEqual(ctx.states, ["connecting", "closed"]);
  off();
  ctx.socket.connect();
  assert.equal(ctx.WS.instances.length, 1);
});

test("auth_failed with reason expired: one fresh token, then the subscriptions again", async () => {
  const tokens = ["stale", "fresh", "never"];
  let calls = 0;
  const ctx = setup({ token: async () => tokens[calls++] });
  ctx.socket.subscribe("orders");
  ctx.socket.connect();
  await settle();
  const ws = ctx.WS.last;
  ws.open();
  ws.accept();
  const errors = [];
  ctx.socket.on("error", (data) => errors.push(data.reason));
  ws.receive({ type: "error", data: { code: "auth_failed", reason: "expired", message: "m" } });
  await settle();
  assert.deepEqual(ws.frames.map((f) => [f.type, f.data]), [
    ["auth", { token: "stale" }],
    ["subscribe", { namespace: "orders" }],
    ["auth", { token: "fresh" }],
    ["subscribe", { namespace: "orders" }],
  ]);
  ws.receive({ type: "error", data: { code: "auth_failed", reason: "expired", message: "m" } });
  await settle();
  assert.equal(ws.framesOf("auth").length, 2, "refreshed once per connection");
  assert.deepEqual(errors, ["expired", "expired"]);
  assert.equal(calls, 2);
});

test("auth_failed with reason revoked or invalid fetches no new token", async () => {
  let calls = 0;
  const ctx = setup({ token: async () => `t${calls++}` });
  ctx.socket.connect();
  await settle();
  const ws = ctx.WS.last;
  ws.open();
  ws.accept();
  for (const reason of ["revoked", "invalid"]) {
    ws.receive({ type: "error", data: { code: "auth_failed", reason, message: "m" } });
  }
  await settle();
  assert.equal(calls, 1);
  assert.equal(ws.framesOf("auth").length, 1);
});
