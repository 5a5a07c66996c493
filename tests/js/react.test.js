// The React hook and components in a real React renderer (react-test-renderer), over a
// RealtimeSocket on the fake transport: what renders after frames arrive, and what
// unmounting releases.
import assert from "node:assert/strict";
import { test } from "node:test";

import { StrictMode, createElement as h, useEffect } from "react";
import TestRenderer from "react-test-renderer";

import { RealtimeSocket } from "../../realtime/static/realtime/js/socket.js";
import { RealtimeProvider, formatMoney, toCents, useRealtime }
  from "../../realtime/static/realtime/js/react/index.js";
import { LiveCustomerCount, LiveSalesTicker, OrderStatusBadge }
  from "../../orders/static/orders/react/index.js";
import { FakeClock, fakeWebSocketClass, settle } from "./fake_socket.js";

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
const { act } = TestRenderer;

function setup() {
  const WS = fakeWebSocketClass();
  const clock = new FakeClock();
  const options = { WebSocket: WS, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout };
  const socket = new RealtimeSocket("ws://test/api/ws", options);
  return { WS, clock, options, socket };
}

let nextId = 100;
function order(id, fields = {}) {
  return { id, customerId: 7, customerName: "Alice Martin", total: "10.00", status: "pending",
    channel: "web", createdAt: "2026-12-03T10:00:00Z", updatedAt: "2026-12-03T10:00:00Z", ...fields };
}
function frame(type, data, namespace = type.startsWith("order") ? "orders" : "customers") {
  return { type, id: nextId++, namespace, ts: "2026-12-03T10:00:00Z", data };
}

async function render(element) {
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(element);
  });
  return renderer;
}
async function receive(ws, ...frames) {
  await act(async () => frames.forEach((f) => ws.receive(f)));
}
const text = (renderer) => {
  const flat = (node) => (node === null ? "" : typeof node === "string" ? node
    : (node.children ?? []).map(flat).join(""));
  return [renderer.toJSON()].flat().map(flat).join("");
};

test("useRealtime opens its own socket, tracks its state, and closes it on unmount", async () => {
  const { WS, options } = setup();
  const seen = [];
  function Probe() {
    const { state } = useRealtime({ namespaces: ["orders"], options });
    seen.push(state);
    return h("i", null, state);
  }
  const renderer = await render(h(Probe));
  await act(async () => settle());
  const ws = WS.last;
  assert.ok(ws, "autoConnect opened a socket");
  assert.equal(text(renderer), "connecting");
  await act(async () => ws.accept());
  assert.equal(text(renderer), "open");
  assert.deepEqual(ws.framesOf("subscribe").map((f) => f.data), [{ namespace: "orders" }]);
  await act(async () => renderer.unmount());
  assert.deepEqual(ws.closeCalls, [{ code: 1000, reason: "" }]);
});

test("autoConnect false opens nothing until asked", async () => {
  const { WS, options } = setup();
  let hook;
  function Probe() {
    hook = useRealtime({ autoConnect: false, options });
    return null;
  }
  await render(h(Probe));
  assert.equal(WS.instances.length, 0);
  assert.equal(hook.state, "closed");
  await act(async () => {
    hook.socket.connect();
    await settle();
  });
  assert.equal(WS.instances.length, 1);
});

test("the token option is sent as auth, the latest value at each connect", async () => {
  const { WS, options } = setup();
  await render(h(() => (useRealtime({ token: "tok-1", options }), null)));
  await act(async () => settle());
  await act(async () => WS.last.accept());
  assert.deepEqual(WS.last.framesOf("auth").map((f) => f.data), [{ token: "tok-1" }]);
});

test("on() returns its cleanup; what is left is released on unmount", async () => {
  const { WS, socket } = setup();
  const calls = [];
  let hook;
  function Probe() {
    hook = useRealtime({ socket });
    return null;
  }
  const renderer = await render(h(Probe));
  socket.connect();
  await settle();
  const ws = WS.last;
  ws.accept();
  let off;
  await act(async () => {
    off = hook.on("order:created", (data) => calls.push(["a", data.id]));
    hook.on("orders:*", (data) => calls.push(["b", data.id]));
  });
  ws.receive(frame("order:created", order(1)));
  off();
  ws.receive(frame("order:created", order(2)));
  await act(async () => renderer.unmount());
  ws.receive(frame("order:created", order(3)));
  assert.deepEqual(calls, [["a", 1], ["b", 1], ["b", 2]]);
  assert.equal(ws.closeCalls.length, 0, "a socket it was given is not closed");
});

test("subscriptions are counted: the namespace is left when its last holder unmounts", async () => {
  const { WS, socket } = setup();
  socket.connect();
  await settle();
  const ws = WS.last;
  ws.accept();
  function Two({ both }) {
    return h(RealtimeProvider, { socket },
      h(OrderStatusBadge, { orderId: 1, key: "a" }),
      both ? h(OrderStatusBadge, { orderId: 2, key: "b" }) : null);
  }
  const renderer = await render(h(Two, { both: true }));
  assert.equal(ws.framesOf("subscribe").length, 1, "one subscribe for two badges");
  await act(async () => renderer.update(h(Two, { both: false })));
  assert.equal(ws.framesOf("unsubscribe").length, 0, "one badge still holds it");
  await act(async () => renderer.unmount());
  assert.deepEqual(ws.framesOf("unsubscribe").map((f) => f.data), [{ namespace: "orders" }]);
  assert.equal(socket.subscriptions.size, 0);
});

test("OrderStatusBadge follows its own order only", async () => {
  const { WS, socket } = setup();
  socket.connect();
  await settle();
  const ws = WS.last;
  ws.accept();
  const renderer = await render(h(OrderStatusBadge, { orderId: 5, status: "pending", socket }));
  const badge = () => renderer.root.findByType("span");
  assert.equal(text(renderer), "Pending");
  await receive(ws, frame("order:status_changed", order(6, { status: "shipped" })));
  assert.equal(text(renderer), "Pending", "another order's change is not this badge's");
  await receive(ws, frame("order:status_changed", order(5, { status: "in_transit",
    previousStatus: "pending" })));
  assert.equal(text(renderer), "In transit");
  assert.equal(badge().props["data-status"], "in_transit");
  assert.match(badge().props.className, /\brt-badge--in-transit\b/);
  await receive(ws, { type: "batch", data: [frame("order:updated", order(5, { status: "delivered" }))] });
  assert.equal(text(renderer), "Delivered");
  await receive(ws, frame("order:deleted", order(5)));
  assert.equal(badge().props["data-status"], "deleted");
  assert.equal(badge().props["data-state"], "open");
});

test("LiveCustomerCount counts presence events and re-reads presence on open", async () => {
  const { WS, socket } = setup();
  const asked = [];
  const fetch = async (url) => {
    asked.push(url);
    return { ok: true, json: async () => ({ online: 1, customerIds: [9] }) };
  };
  const renderer = await render(h(LiveCustomerCount, {
    online: [{ id: 1, name: "Alice" }], presenceUrl: "/api/ws/presence", fetch, socket }));
  const count = () => renderer.root.findByProps({ className: "rt-live-count__n" }).children[0];
  assert.equal(count(), "1");
  await act(async () => {
    socket.connect();
    await settle();
  });
  const ws = WS.last;
  await act(async () => {
    ws.accept();
    await settle();
  });
  assert.deepEqual(asked, ["/api/ws/presence"]);
  assert.equal(count(), "1");
  assert.ok(text(renderer).includes("Customer #9"), "the server's list replaces the initial one");
  await receive(ws,
    frame("customer:online", { customerId: 2, customerName: "Bob Chen" }),
    frame("customer:viewing_product", { customerId: 3, customerName: "Carol", action: "viewing_product",
      productId: 1, quantity: null }),
    frame("customer:online", { customerId: 2, customerName: "Bob Chen" }));
  assert.equal(count(), "3");
  assert.ok(text(renderer).includes("Bob Chen"));
  await receive(ws, frame("customer:offline", { customerId: 9, customerName: "Dan" }));
  assert.equal(count(), "2");
});

test("LiveSalesTicker lists new orders and keeps revenue in the page's currency", async () => {
  const { WS, socket } = setup();
  socket.connect();
  await settle();
  const ws = WS.last;
  ws.accept();
  const renderer = await render(h(LiveSalesTicker, { revenue: "100.00", maxItems: 2,
    currency: "EUR", locale: "en-US", socket }));
  const revenue = () => renderer.root.findByProps({ className: "rt-ticker__revenue" });
  const rows = () => renderer.root.findAllByType("li").map((li) => li.props["data-order-id"]);
  assert.equal(revenue().children[0], "€100.00");

  await receive(ws, frame("order:created", order(1, { total: "19.90" })),
    frame("order:created", order(2, { total: "0.10" })));
  assert.equal(revenue().children[0], "€120.00");
  assert.deepEqual(rows(), [2, 1]);
  await receive(ws, frame("order:created", order(3, { total: "5.00" })));
  assert.deepEqual(rows(), [3, 2], "at most maxItems rows, newest first");
  assert.equal(revenue().children[0], "€125.00");

  await receive(ws, frame("order:status_changed", order(1, { total: "19.90", status: "cancelled",
    previousStatus: "pending" })));
  assert.equal(revenue().children[0], "€105.10", "a cancelled order leaves the revenue");
  await receive(ws, frame("order:created", order(3, { total: "5.00" })));
  assert.equal(revenue().children[0], "€105.10", "an order is counted once");
  await receive(ws, frame("order:updated", order(3, { total: "7.00" })));
  assert.equal(revenue().children[0], "€107.10");
  assert.ok(text(renderer).includes("€7.00"));
  await receive(ws, frame("order:deleted", order(2, { total: "0.10" })));
  assert.equal(revenue().children[0], "€107.00");
  assert.ok(text(renderer).includes("Deleted"));
});

test("money: decimal strings in cents, formatted with Intl; USD without a page currency", () => {
  assert.equal(toCents("149.90"), 14990);
  assert.equal(toCents("-0.5"), -50);
  assert.ok(Number.isNaN(toCents("1.234")));
  assert.equal(formatMoney(14990, { locale: "en-US" }), "$149.90");
  assert.equal(formatMoney(14990, { currency: "JPY", locale: "en-US" }), "¥150");
});

test("components under one provider share its one socket", async () => {
  const { WS, options } = setup();
  function Page() {
    return h(RealtimeProvider, { options },
      h(OrderStatusBadge, { orderId: 1 }), h(LiveSalesTicker, {}), h(LiveCustomerCount, {}));
  }
  const renderer = await render(h(Page));
  await act(async () => settle());
  assert.equal(WS.instances.length, 1);
  await act(async () => WS.last.accept());
  assert.deepEqual(WS.last.framesOf("subscribe").map((f) => f.data.namespace).sort(),
    ["customers", "orders"]);
  await act(async () => renderer.unmount());
  assert.equal(WS.last.closeCalls.length, 1, "the provider's own socket closes with it");
});

test("a listener registered in an effect sees events until its component unmounts", async () => {
  const { WS, socket } = setup();
  const seen = [];
  function Feed() {
    const { on } = useRealtime({ socket, namespaces: ["orders"] });
    useEffect(() => on("order:created", (data) => seen.push(data.id)), [on]);
    return null;
  }
  const renderer = await render(h(Feed));
  socket.connect();
  await settle();
  WS.last.accept();
  await receive(WS.last, frame("order:created", order(41)));
  await act(async () => renderer.unmount());
  WS.last.receive(frame("order:created", order(42)));
  assert.deepEqual(seen, [41]);
});

test("under StrictMode's double effects the hook ends with one open socket, subscribed once", async () => {
  const { WS, options } = setup();
  let hook;
  function Probe() {
    hook = useRealtime({ namespaces: ["orders"], token: "t", options });
    return null;
  }
  const renderer = await render(h(StrictMode, null, h(Probe)));
  await act(async () => settle());
  assert.equal(WS.instances.length, 1, "the first attempt was dropped before it opened");
  await act(async () => WS.last.accept());
  assert.equal(hook.state, "open");
  assert.deepEqual(WS.last.frames.map((f) => f.type), ["auth", "subscribe"]);
  await act(async () => renderer.unmount());
  assert.equal(WS.last.closeCalls.length, 1);
});
