import assert from "node:assert/strict";
import { test } from "node:test";

import * as inventoryWidgets from "../../inventory/static/inventory/widgets/index.js";
import { badgeElement } from "../../orders/static/orders/widgets/badge.js";
import * as orderWidgets from "../../orders/static/orders/widgets/index.js";
import { orderRow } from "../../orders/static/orders/widgets/ticker.js";
import { productCard } from "../../inventory/static/inventory/widgets/catalogue.js";
import { RealtimeSocket } from "../../realtime/static/realtime/js/socket.js";
import { TOAST_MS } from "../../realtime/static/realtime/widgets/notifications.js";
import { createPage } from "../../realtime/static/realtime/widgets/page.js";
import { combine } from "../../realtime/static/realtime/widgets/registry.js";

// The demo's pages: realtime's widgets and the orders and inventory apps' modules.
const { widgets: WIDGETS, toasts: TOASTS } = combine([orderWidgets, inventoryWidgets]);
import { FakeClock, fakeWebSocketClass, settle } from "./fake_socket.js";
import { FakeDocument, el, stateScript } from "./widgets_dom.js";

const TODAY = "2026-11-26";
const STAFF_NS = ["orders", "customers", "products", "inventory"];
const MANAGER_NS = [...STAFF_NS, "payments"];
const XSS = "<img src=x onerror=alert(1)>";

/** A page on a real RealtimeSocket over a fake transport and clock, in a fake DOM. */
function setup({ role = "staff", namespaces = STAFF_NS, since = 41, fetchReply = null } = {}) {
  const WS = fakeWebSocketClass();
  const clock = new FakeClock();
  const socket = new RealtimeSocket("ws://test/api/ws", {
    WebSocket: WS, setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout,
    random: () => 0.5,
  });
  const doc = new FakeDocument();
  const fetches = [];
  const ctx = { WS, clock, socket, doc, fetches, reloads: 0 };
  ctx.page = createPage({
    socket, document: doc, registry: WIDGETS, toasts: TOASTS, setTimeout: clock.setTimeout,
    config: { url: "/api/ws", presenceUrl: "/api/ws/presence", role, userId: 1,
      customerId: role === "customer" ? 7 : null, namespaces, since, timeZone: "UTC" },
    fetch: async (url) => {
      fetches.push(url);
      return { ok: true, json: async () => fetchReply };
    },
    reload: () => {
      ctx.reloads += 1;
    },
    onError: (error) => {
      throw error;
    },
  });
  ctx.mount = (...nodes) => {
    doc.body.append(...nodes);
    ctx.page.mountAll(doc);
  };
  ctx.connect = () => {
    socket.connect();
    ctx.ws = WS.last;
    ctx.ws.accept({ role, namespaces });
    return ctx.ws;
  };
  let nextId = 100;
  ctx.event = (type, data, namespace = type.split(":")[0] + "s") => ({
    type, id: nextId++, namespace, ts: `${TODAY}T10:00:00Z`, data,
  });
  ctx.send = (type, data, namespace) => ctx.ws.receive(ctx.event(type, data, namespace));
  return ctx;
}

function order(id, fields = {}) {
  return { id, customerId: 1, customerName: "Alice Martin", total: "10.00", status: "pending",
    channel: "online", createdAt: `${TODAY}T10:00:00Z`, updatedAt: `${TODAY}T10:00:00Z`, ...fields };
}

const subscribes = (ws) => ws.framesOf("subscribe").map((f) => f.data);
const texts = (nodes) => nodes.map((node) => node.textContent);

// Markup as the template tags render it

function tickerMarkup(doc, state) {
  const part = (tag, name, attrs = {}) => el(doc, tag, { "data-rt-part": name, ...attrs });
  const orders = part("ol", "orders");
  for (const o of state.orders ?? []) orders.append(orderRow(doc, o));
  return el(doc, "div", { "data-rt-widget": "sales-ticker", "data-order-url": "/orders/{id}/",
    "data-currency": state.currency ?? "USD" },
    part("span", "revenue"), part("span", "orders-today"), orders, part("p", "orders-empty"),
    ...(state.showPayments ? [part("ol", "payments"), part("p", "payments-empty")] : []),
    stateScript(doc, state));
}

function customersMarkup(doc, state) {
  const part = (tag, name) => el(doc, tag, { "data-rt-part": name });
  return el(doc, "section", { "data-rt-widget": "customer-count" },
    part("span", "count"), part("ul", "online"), part("ol", "feed"), part("p", "feed-empty"),
    stateScript(doc, state));
}

function notificationsMarkup(doc, namespaces = "inventory") {
  const part = (tag, name) => el(doc, tag, { "data-rt-part": name });
  const banner = el(doc, "div", { "data-rt-part": "banner", hidden: "" },
    part("strong", "banner-title"), part("span", "banner-message"), part("span", "banner-window"),
    part("button", "banner-close"));
  return el(doc, "div", { "data-rt-widget": "notifications", "data-namespaces": namespaces },
    banner, part("div", "toasts"));
}

// The page and the socket

test("widgets share one socket and subscribe from the page's event id, as the role allows", () => {
  const ctx = setup({ since: 41 });
  ctx.mount(badgeElement(ctx.doc, order(1)), badgeElement(ctx.doc, order(2)),
    tickerMarkup(ctx.doc, { orders: [], showPayments: true, day: TODAY }));
  const ws = ctx.connect();
  assert.equal(ctx.WS.instances.length, 1);
  assert.deepEqual(subscribes(ws), [{ namespace: "orders", since: 41 }],
    "staff may not see payments: no subscription even with a payments list");
});

test("subscribe({since}) resumes from the given id, then from the newest event seen", async () => {
  const ctx = setup();
  ctx.socket.subscribe("orders", { since: 41 });
  let ws = ctx.connect();
  assert.deepEqual(subscribes(ws), [{ namespace: "orders", since: 41 }]);
  ws.receive({ type: "subscribed", data: { namespace: "orders", lastEventId: 45, recovered: true } });
  ws.receive(ctx.event("order:created", order(1)));
  ws.serverClose(1001);
  ctx.clock.tick(1_000);
  await settle();
  ws = ctx.WS.last;
  ws.accept();
  assert.deepEqual(subscribes(ws), [{ namespace: "orders", since: 100 }]);
});

test("one broken widget does not stop the others from mounting", () => {
  const errors = [];
  const doc = new FakeDocument();
  const page = createPage({
    socket: { subscribe() {}, on: () => () => {}, onState: () => () => {}, state: "closed" },
    config: { namespaces: ["orders"] }, document: doc, onError: (e) => errors.push(e),
    registry: { broken: () => { throw new Error("boom"); }, fine: () => () => {} },
  });
  doc.body.append(el(doc, "div", { "data-rt-widget": "broken" }), el(doc, "div", { "data-rt-widget": "fine" }));
  page.mountAll(doc);
  assert.equal(errors.length, 1);
});

// OrderStatusBadge

test("badge: its order's status changes it, with the animation; other orders do not", () => {
  const ctx = setup();
  const badge = badgeElement(ctx.doc, order(5));
  ctx.mount(badge);
  ctx.connect();
  ctx.send("order:status_changed", order(6, { status: "shipped", previousStatus: "pending" }));
  assert.equal(badge.getAttribute("data-status"), "pending");
  ctx.send("order:status_changed", order(5, { status: "shipped", previousStatus: "pending" }));
  assert.equal(badge.getAttribute("data-status"), "shipped");
  assert.equal(badge.textContent, "Shipped");
  assert.ok(badge.classList.contains("rt-badge--shipped"));
  assert.ok(!badge.classList.contains("rt-badge--pending"));
  assert.ok(badge.classList.contains("rt-badge--changed"));
  ctx.send("order:deleted", order(5));
  assert.equal(badge.textContent, "Deleted");
});

test("badge: events inside a batch frame are applied in order", () => {
  const ctx = setup();
  const badge = badgeElement(ctx.doc, order(5));
  ctx.mount(badge);
  const ws = ctx.connect();
  ws.receive({ type: "batch", data: [
    ctx.event("order:updated", order(5, { status: "confirmed" })),
    ctx.event("order:status_changed", order(5, { status: "confirmed", previousStatus: "pending" })),
    ctx.event("order:updated", order(5, { status: "processing" })),
  ] });
  assert.equal(badge.getAttribute("data-status"), "processing");
});

test("badge: its dot follows the connection (connecting, open, reconnecting)", () => {
  const ctx = setup();
  const badge = badgeElement(ctx.doc, order(5));
  ctx.mount(badge);
  const dot = badge.querySelector('[data-rt-part="conn"]');
  assert.equal(dot.getAttribute("data-state"), "connecting");
  const ws = ctx.connect();
  assert.equal(dot.getAttribute("data-state"), "open");
  ws.serverClose(1001);
  assert.equal(dot.getAttribute("data-state"), "reconnecting");
  assert.equal(dot.title, "Reconnecting…");
});

test("badge: a status from the server is text, never markup", () => {
  const ctx = setup();
  const badge = badgeElement(ctx.doc, order(5));
  ctx.mount(badge);
  ctx.connect();
  ctx.send("order:updated", order(5, { status: XSS }));
  assert.equal(badge.querySelector('[data-rt-part="label"]').textContent, XSS);
  assert.equal(badge.querySelectorAll("img").length, 0);
  assert.ok(badge.className.split(" ").every((cls) => /^[\p{L}\p{N}_-]+$/u.test(cls)));
});

// LiveSalesTicker

test("ticker: a created order goes on top with a live badge, and revenue grows", () => {
  const ctx = setup();
  const ticker = tickerMarkup(ctx.doc, {
    orders: [order(1, { total: "5.00" })], revenue: "5.00", ordersToday: 1, day: TODAY, maxItems: 2,
  });
  ctx.mount(ticker);
  ctx.connect();
  ctx.send("order:created", order(2, { total: "20.50", customerName: XSS }));
  const rows = ticker.querySelectorAll("li[data-order-id]");
  assert.deepEqual(rows.map((row) => row.getAttribute("data-order-id")), ["2", "1"]);
  assert.equal(ticker.querySelector('[data-rt-part="revenue"]').textContent, "$25.50");
  assert.equal(rows[0].querySelector('[data-rt-part="order-total"]').textContent, "$20.50");
  assert.equal(ticker.querySelector('[data-rt-part="orders-today"]').textContent, "2");
  assert.ok(ticker.querySelector('[data-rt-part="orders-empty"]').hidden);
  const who = rows[0].querySelector('[data-rt-part="order-customer"]');
  assert.equal(who.textContent, XSS, "the name is text");
  assert.equal(ticker.querySelectorAll("img").length, 0);
  assert.equal(rows[0].querySelector("a").getAttribute("href"), "/orders/2/");

  ctx.send("order:status_changed", order(2, { status: "shipped", total: "20.50", previousStatus: "pending" }));
  assert.equal(rows[0].querySelector('[data-rt-widget="order-status"]').textContent, "Shipped");

  ctx.send("order:created", order(2, { total: "20.50" }));
  assert.equal(ticker.querySelectorAll("li[data-order-id]").length, 2, "no duplicate row");
  ctx.send("order:created", order(3));
  assert.deepEqual(texts(ticker.querySelectorAll(".rt-row__ref")), ["#3", "#2"], "bounded to maxItems");
});

test("ticker: money in the widget's currency, with thousands separators", () => {
  const ctx = setup();
  const ticker = tickerMarkup(ctx.doc, { orders: [], revenue: "47000.00", day: TODAY, currency: "EUR" });
  ctx.mount(ticker);
  ctx.connect();
  ctx.send("order:created", order(7, { total: "829.07" }));
  assert.equal(ticker.querySelector('[data-rt-part="revenue"]').textContent, "€47,829.07");
  assert.equal(ticker.querySelector('[data-rt-part="order-total"]').textContent, "€829.07");
  ctx.send("order:updated", order(7, { total: "1829.07" }));
  assert.equal(ticker.querySelector('[data-rt-part="order-total"]').textContent, "€1,829.07");
});

function chartMarkup(doc, state) {
  return el(doc, "section", { "data-rt-widget": "sales-chart", "data-currency": "USD" },
    el(doc, "svg", { "data-rt-part": "chart" }), el(doc, "p", { "data-rt-part": "chart-empty" }),
    stateScript(doc, state));
}

test("chart: an order in a new minute adds a bar and a revenue point; cancelling takes them off", () => {
  const ctx = setup();
  const chart = chartMarkup(ctx.doc, { day: TODAY, showRevenue: true, orders: [order(1)],
    minutes: [{ minute: `${TODAY}T10:00:00Z`, orders: 1, revenue: "10.00" }] });
  ctx.mount(chart);
  ctx.connect();
  const bars = () => chart.querySelectorAll("rect");
  assert.equal(bars().length, 1);
  assert.equal(chart.querySelectorAll("circle").length, 1);
  assert.ok(chart.querySelector('[data-rt-part="chart-empty"]').hidden);

  ctx.send("order:created", order(2, { total: "1500.00", createdAt: `${TODAY}T10:05:10Z` }));
  assert.deepEqual(bars().map((b) => b.getAttribute("data-orders")), ["1", "1"]);
  assert.equal(bars()[1].getAttribute("data-minute"), `${TODAY}T10:05:00Z`, "as payloads write times");
  const point = chart.querySelectorAll("circle")[1];
  assert.equal(point.getAttribute("data-revenue"), "1500.00");
  assert.match(bars()[1].querySelector("title").textContent, /10:05 · 1 order · \$1,500\.00/);

  ctx.send("order:created", order(3, { total: "5.00", createdAt: `${TODAY}T10:05:50Z` }));
  assert.deepEqual(bars().map((b) => b.getAttribute("data-orders")), ["1", "2"], "same minute, same bar");
  ctx.send("order:status_changed", order(1, { status: "cancelled", previousStatus: "pending" }));
  assert.equal(bars().length, 1, "the 10:00 bar is gone");
  assert.equal(chart.querySelectorAll("circle")[0].getAttribute("data-revenue"), "1505.00");
});

test("chart: without revenue shown, bars only", () => {
  const ctx = setup();
  const chart = chartMarkup(ctx.doc, { day: TODAY, showRevenue: false, minutes: [] });
  ctx.mount(chart);
  ctx.connect();
  assert.equal(chart.querySelector('[data-rt-part="chart-empty"]').hidden, false);
  ctx.send("order:created", order(5, { total: "9.00" }));
  assert.equal(chart.querySelectorAll("rect").length, 1);
  assert.equal(chart.querySelectorAll("circle").length, 0);
  assert.doesNotMatch(chart.querySelector("title").textContent, /\$/);
});

function catalogueMarkup(doc, products, { seesStock = false } = {}) {
  const attrs = { "data-rt-widget": "product-list", "data-currency": "USD",
    "data-product-url": "/products/{id}/", ...(seesStock ? { "data-sees-stock": "" } : {}) };
  return el(doc, "ul", attrs,
    ...products.map((p) => productCard(doc, p, { url: "/products/{id}/", seesStock })),
    el(doc, "li", { "data-rt-part": "empty", ...(products.length ? { hidden: "" } : {}) }));
}

const product = (id, fields = {}) => ({ id, sku: `SKU-${id}`, name: `Product ${id}`, price: "10.00",
  isActive: true, ...fields });

test("catalogue: prices, names and stock change live; new products go in name order", () => {
  const ctx = setup();
  const list = catalogueMarkup(ctx.doc, [product(1, { name: "Bravo" }), product(2, { name: "Delta" })],
    { seesStock: true });
  ctx.mount(list);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws).map((s) => s.namespace), ["products", "inventory"]);
  const card = (id) => list.querySelector(`li[data-product-id="${id}"]`);
  const text = (id, name) => card(id).querySelector(`[data-rt-part="${name}"]`).textContent;

  ctx.send("product:price_changed", product(1, { name: "Bravo", price: "1249.50", previousPrice: "10.00" }));
  assert.equal(text(1, "price"), "$1,249.50");
  ctx.send("inventory:updated", { productId: 2, sku: "SKU-2", name: "Delta", quantity: 3,
    previousQuantity: 20, threshold: 10 }, "inventory");
  assert.equal(text(2, "stock"), "3 in stock");

  ctx.send("product:created", product(3, { name: "Charlie", price: "5.00" }));
  assert.deepEqual(list.querySelectorAll("li[data-product-id]").map((li) => li.getAttribute("data-product-id")),
    ["1", "3", "2"]);
  assert.equal(card(3).querySelector("a").getAttribute("href"), "/products/3/");
  assert.equal(text(3, "price"), "$5.00");

  ctx.send("product:updated", product(3, { name: XSS, isActive: false }));
  assert.equal(text(3, "name"), XSS, "text, never markup");
  assert.ok(card(3).classList.contains("card--inactive"));
  ctx.send("product:deleted", product(1));
  assert.equal(card(1), null);
});

test("catalogue: without stock, inactive products leave the list and no stock is subscribed", () => {
  const ctx = setup({ role: "guest", namespaces: ["products"] });
  const list = catalogueMarkup(ctx.doc, [product(1)]);
  ctx.mount(list);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws).map((s) => s.namespace), ["products"]);
  ctx.send("product:updated", product(1, { isActive: false }));
  assert.equal(list.querySelectorAll("li[data-product-id]").length, 0);
  assert.equal(list.querySelector('[data-rt-part="empty"]').hidden, false);
  ctx.send("product:created", product(2, { isActive: false }));
  assert.equal(list.querySelectorAll("li[data-product-id]").length, 0);
});

test("ticker: a dropped row's badge stops listening", () => {
  const ctx = setup();
  const ticker = tickerMarkup(ctx.doc, { orders: [], revenue: "0.00", day: TODAY, maxItems: 1 });
  ctx.mount(ticker);
  ctx.connect();
  ctx.send("order:created", order(1));
  const first = ticker.querySelector('li[data-order-id="1"]').querySelector('[data-rt-widget="order-status"]');
  ctx.send("order:created", order(2));
  ctx.send("order:status_changed", order(1, { status: "shipped", previousStatus: "pending" }));
  assert.equal(first.textContent, "Pending", "unmounted with its row");
});

test("ticker: cancelling an order takes it out of today's revenue", () => {
  const ctx = setup();
  const ticker = tickerMarkup(ctx.doc, { orders: [], revenue: "100.00", ordersToday: 3, day: TODAY });
  ctx.mount(ticker);
  ctx.connect();
  ctx.send("order:updated", order(9, { total: "40.00", status: "cancelled" }));
  ctx.send("order:status_changed", order(9, { total: "40.00", status: "cancelled", previousStatus: "pending" }));
  assert.equal(ticker.querySelector('[data-rt-part="revenue"]').textContent, "$60.00");
  assert.equal(ticker.querySelector('[data-rt-part="orders-today"]').textContent, "2");
});

test("ticker: payments for roles that see them, newest first, one row per payment", () => {
  const ctx = setup({ role: "manager", namespaces: MANAGER_NS });
  const ticker = tickerMarkup(ctx.doc, { orders: [], revenue: "0.00", day: TODAY, showPayments: true });
  ctx.mount(ticker);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws).map((s) => s.namespace), ["orders", "payments"]);
  const payment = { id: 4, orderId: 2, customerId: 1, amount: "9.90", method: "card" };
  ctx.send("payment:failed", { ...payment, status: "failed", reason: XSS }, "payments");
  ctx.send("payment:received", { ...payment, id: 5, status: "completed" }, "payments");
  ctx.send("payment:received", { ...payment, status: "completed" }, "payments");
  const rows = ticker.querySelectorAll("li[data-payment-id]");
  assert.deepEqual(rows.map((r) => r.getAttribute("data-payment-id")), ["4", "5"]);
  assert.equal(rows[0].querySelector(".rt-pill").textContent, "Received");
  assert.equal(ticker.querySelectorAll("img").length, 0);
});

// LiveCustomerCount

test("customer count: online/offline change the count; activity fills the feed", () => {
  const ctx = setup();
  const widget = customersMarkup(ctx.doc, {
    online: [{ id: 1, name: "Bob Chen" }], activity: [], products: { 3: "Laptop Stand" }, maxItems: 2,
  });
  ctx.mount(widget);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws), [{ namespace: "customers", since: 41 }]);
  const count = widget.querySelector('[data-rt-part="count"]');
  ctx.send("customer:online", { customerId: 7, customerName: XSS }, "customers");
  assert.equal(count.textContent, "2");
  assert.deepEqual(texts(widget.querySelectorAll(".rt-chip")), ["Bob Chen", XSS]);
  ctx.send("customer:viewing_product", { customerId: 7, customerName: "Alice", action: "viewing_product",
    productId: 3 }, "customers");
  ctx.send("customer:offline", { customerId: 1, customerName: "Bob Chen" }, "customers");
  assert.equal(count.textContent, "1");
  assert.deepEqual(texts(widget.querySelectorAll(".rt-feed__text")),
    ["Bob Chen went offline", "Alice is viewing Laptop Stand"]);
  assert.equal(widget.querySelectorAll("img").length, 0);
  assert.ok(widget.querySelector('[data-rt-part="feed-empty"]').hidden);
});

test("customer count: after a reconnect the server's presence list replaces the count", async () => {
  const ctx = setup({ fetchReply: { online: 1, customerIds: [1] } });
  const widget = customersMarkup(ctx.doc, { online: [{ id: 1, name: "Bob" }, { id: 2, name: "Ann" }] });
  ctx.mount(widget);
  const ws = ctx.connect();
  assert.deepEqual(ctx.fetches, [], "not on the first open: the page was just rendered");
  ws.serverClose(1001);
  ctx.clock.tick(1_000);
  await settle();
  ctx.WS.last.accept();
  await settle();
  assert.deepEqual(ctx.fetches, ["/api/ws/presence"]);
  assert.equal(widget.querySelector('[data-rt-part="count"]').textContent, "1");
});

// Stock alerts

test("stock alerts: low stock adds, an update changes the figure, restocked removes", () => {
  const ctx = setup();
  const part = (tag, name) => el(ctx.doc, tag, { "data-rt-part": name });
  const widget = el(ctx.doc, "section", { "data-rt-widget": "inventory-alerts" },
    part("span", "stock-count"), part("ul", "stock-items"), part("p", "stock-empty"),
    stateScript(ctx.doc, { items: [], maxItems: 5 }));
  ctx.mount(widget);
  ctx.connect();
  const stock = { productId: 8, sku: "LS-008", name: XSS, quantity: 3, previousQuantity: 6, threshold: 5 };
  ctx.send("inventory:low_stock", stock, "inventory");
  assert.equal(widget.querySelector('[data-rt-part="stock-count"]').textContent, "1");
  assert.equal(widget.querySelector(".rt-row__ref").textContent, XSS);
  ctx.send("inventory:updated", { ...stock, quantity: 1 }, "inventory");
  assert.equal(widget.querySelector('[data-rt-part="stock-quantity"]').textContent, "1");
  ctx.send("inventory:out_of_stock", { ...stock, quantity: 0 }, "inventory");
  assert.equal(widget.querySelectorAll("li").length, 1);
  assert.ok(widget.querySelector("li").classList.contains("rt-stock--out"));
  ctx.send("inventory:restocked", { ...stock, quantity: 40 }, "inventory");
  assert.equal(widget.querySelectorAll("li").length, 0);
  assert.equal(widget.querySelector('[data-rt-part="stock-empty"]').hidden, false);
});

// Toasts and banner

test("toasts: inventory alerts and notifications show, then go; alerts stay", () => {
  const ctx = setup({ role: "admin", namespaces: [...MANAGER_NS, "system"] });
  const widget = notificationsMarkup(ctx.doc, "inventory system");
  ctx.mount(widget);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws).map((s) => s.namespace), ["inventory", "system"]);
  const toasts = widget.querySelector('[data-rt-part="toasts"]');
  ctx.send("inventory:low_stock", { productId: 1, sku: "A", name: "Mouse", quantity: 2, threshold: 5 }, "inventory");
  ctx.send("system:alert", { title: XSS, message: "Disk full", level: "error" }, "system");
  assert.deepEqual(texts(toasts.querySelectorAll(".rt-toast__title")), ["Low stock", XSS]);
  assert.equal(toasts.querySelectorAll("img").length, 0);
  assert.equal(toasts.children[1].getAttribute("role"), "alert");
  ctx.clock.tick(TOAST_MS);
  assert.deepEqual(texts(toasts.querySelectorAll(".rt-toast__title")), [XSS], "the alert is sticky");
  toasts.querySelector(".rt-toast__close").click();
  assert.equal(toasts.children.length, 0);
});

test("toasts: a personal notification needs no subscription; levels are sanitized", () => {
  const ctx = setup({ role: "customer", namespaces: ["orders", "products", "payments"] });
  const widget = notificationsMarkup(ctx.doc, "");
  ctx.mount(widget);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws), []);
  ctx.send("system:notification", { title: "Hello", message: "Your order shipped", level: "x y" }, "system");
  const toast = widget.querySelector(".rt-toast");
  assert.ok(toast.classList.contains("rt-toast--info"));
  assert.equal(toast.querySelector(".rt-toast__message").textContent, "Your order shipped");
});

test("banner: system:maintenance shows it with its window; it can be dismissed", () => {
  const ctx = setup({ role: "admin", namespaces: ["system"] });
  const widget = notificationsMarkup(ctx.doc, "system");
  ctx.mount(widget);
  ctx.connect();
  const banner = widget.querySelector('[data-rt-part="banner"]');
  assert.ok(banner.hidden);
  ctx.send("system:maintenance", { title: "Upgrade", message: "Back soon", level: "warning",
    startsAt: `${TODAY}T02:00:00Z`, endsAt: `${TODAY}T02:30:00Z` }, "system");
  assert.equal(banner.hidden, false);
  assert.equal(banner.querySelector('[data-rt-part="banner-title"]').textContent, "Upgrade");
  assert.equal(banner.querySelector('[data-rt-part="banner-window"]').textContent, "(02:00:00–02:30:00)");
  banner.querySelector('[data-rt-part="banner-close"]').click();
  assert.ok(banner.hidden);
});

test("a reset (missed events not kept) offers a reload", () => {
  const ctx = setup();
  const widget = notificationsMarkup(ctx.doc, "inventory");
  ctx.mount(widget);
  const ws = ctx.connect();
  ws.receive({ type: "reset", data: { namespace: "inventory", reason: "pruned" } });
  const action = widget.querySelector(".rt-toast__action");
  assert.equal(action.textContent, "Reload");
  action.click();
  assert.equal(ctx.reloads, 1);
});

// Connection indicator

test("connection indicator: label per state, retry once it gave up", () => {
  const ctx = setup();
  const part = (tag, name) => el(ctx.doc, tag, { "data-rt-part": name });
  const widget = el(ctx.doc, "span", { "data-rt-widget": "connection" }, part("span", "label"),
    part("button", "retry"));
  ctx.mount(widget);
  const label = widget.querySelector('[data-rt-part="label"]');
  const retry = widget.querySelector('[data-rt-part="retry"]');
  assert.equal(label.textContent, "Connecting…");
  const ws = ctx.connect();
  assert.equal(widget.getAttribute("data-state"), "open");
  assert.equal(label.textContent, "Live");
  assert.ok(retry.hidden);
  ws.serverClose(4500, "session ended");
  assert.equal(label.textContent, "Disconnected");
  assert.equal(retry.hidden, false);
  retry.click();
  assert.equal(ctx.WS.instances.length, 2);
  assert.equal(label.textContent, "Connecting…");
});

// Product page

function productMarkup(doc) {
  const part = (tag, name, attrs = {}) => el(doc, tag, { "data-rt-part": name, ...attrs });
  const quantity = part("input", "quantity");
  quantity.value = "3";
  return el(doc, "article", { "data-rt-widget": "product", "data-product-id": "3" },
    part("span", "price", {}), part("form", "cart"), quantity, part("span", "cart-status"));
}

test("product page: a customer reports viewing it, and adding it to the cart", () => {
  const ctx = setup({ role: "customer", namespaces: ["orders", "products", "payments"] });
  const widget = productMarkup(ctx.doc);
  ctx.mount(widget);
  const ws = ctx.connect();
  assert.deepEqual(ws.framesOf("activity").map((f) => f.data),
    [{ productId: 3, action: "viewing_product" }], "buffered until connected");
  const submit = widget.querySelector('[data-rt-part="cart"]').dispatch("submit");
  assert.ok(submit.defaultPrevented);
  assert.deepEqual(ws.framesOf("activity").at(-1).data,
    { productId: 3, quantity: 3, action: "added_to_cart" });
  assert.equal(widget.querySelector('[data-rt-part="cart-status"]').textContent, "Added 3 to your cart");
  ctx.send("product:price_changed", { id: 3, price: "79.90", previousPrice: "89.90" }, "products");
  assert.equal(widget.querySelector('[data-rt-part="price"]').textContent, "$79.90");
});

test("product page: other roles report no activity", () => {
  const ctx = setup({ role: "staff" });
  ctx.mount(productMarkup(ctx.doc));
  const ws = ctx.connect();
  assert.deepEqual(ws.framesOf("activity"), []);
  assert.deepEqual(subscribes(ws), [{ namespace: "products", since: 41 }]);
});

// Generic live widgets

test("a live field follows its row's value from its event types only", () => {
  const ctx = setup();
  const field = el(ctx.doc, "span", { "data-rt-widget": "live-field", "data-rt-namespace": "orders",
    "data-rt-types": "order:updated order:status_changed", "data-rt-key": "7",
    "data-rt-key-field": "id", "data-rt-field": "status" }, "pending");
  ctx.mount(field);
  const ws = ctx.connect();
  assert.deepEqual(subscribes(ws), [{ namespace: "orders", since: 41 }]);
  ctx.send("order:updated", order(8, { status: "shipped" }));
  assert.equal(field.textContent, "pending", "another row's event");
  ctx.send("order:status_changed", order(7, { status: XSS }));
  assert.equal(field.textContent, XSS, "text, never markup");
  assert.equal(field.children.length, 0);
  ctx.send("order:created", order(7, { status: "cancelled" }));
  assert.equal(field.textContent, XSS, "a type it is not bound to");
});

test("a live list keeps the newest events first, at most its max", () => {
  const ctx = setup();
  const list = el(ctx.doc, "ul", { "data-rt-widget": "live-list", "data-rt-namespace": "products",
    "data-rt-types": "product:created", "data-rt-field": "name", "data-rt-max": "2" });
  ctx.mount(list);
  ctx.connect();
  for (const name of ["Lamp", "Desk", "Chair"]) {
    ctx.send("product:created", { id: 1, name }, "products");
  }
  assert.deepEqual(texts(list.children), ["Chair", "Desk"]);
});

test("a live widget of a namespace the role may not see subscribes to nothing", () => {
  const ctx = setup({ role: "guest", namespaces: ["products"] });
  ctx.mount(el(ctx.doc, "span", { "data-rt-widget": "live-field", "data-rt-namespace": "orders",
    "data-rt-types": "order:updated", "data-rt-key": "1", "data-rt-field": "status" }));
  assert.deepEqual(subscribes(ctx.connect()), []);
});
