import assert from "node:assert/strict";
import { test } from "node:test";

import { inventoryToast } from "../../inventory/static/inventory/widgets/inventory.js";
import { describeActivity, paymentLabel } from "../../orders/static/orders/widgets/format.js";
import { Presence, RevenueTracker } from "../../orders/static/orders/widgets/state.js";
import {
  clock,
  dayOf,
  fromCents,
  statusClass,
  statusLabel,
  toCents,
} from "../../realtime/static/realtime/widgets/format.js";
import { shownState } from "../../realtime/static/realtime/widgets/connection.js";

const TODAY = "2026-11-26";

function order(id, fields = {}) {
  return {
    id, customerId: 1, customerName: "Alice", total: "10.00", status: "pending",
    channel: "online", createdAt: `${TODAY}T10:00:00Z`, updatedAt: `${TODAY}T10:00:00Z`,
    ...fields,
  };
}

// format.js

test("status labels and classes match the template filters", () => {
  assert.equal(statusLabel("status_changed"), "Status changed");
  assert.equal(statusLabel("pending"), "Pending");
  assert.equal(statusLabel(""), "");
  assert.equal(statusClass("shipped"), "shipped");
  assert.equal(statusClass("on hold<x>"), "on-hold-x-");
  assert.equal(statusClass(undefined), "unknown");
  assert.equal(paymentLabel("completed"), "Received");
  assert.equal(paymentLabel("failed"), "Failed");
});

test("money is summed in cents from decimal strings", () => {
  assert.equal(toCents("149.90"), 14990);
  assert.equal(toCents("12"), 1200);
  assert.equal(toCents("0.5"), 50);
  assert.equal(toCents("-3.25"), -325);
  assert.ok(Number.isNaN(toCents("1e3")));
  assert.ok(Number.isNaN(toCents(null)));
  assert.equal(fromCents(14990), "149.90");
  assert.equal(fromCents(5), "0.05");
  assert.equal(fromCents(-325), "-3.25");
  assert.equal(fromCents(toCents("0.10") + toCents("0.20")), "0.30");
});

test("times and days are read in the server's time zone", () => {
  assert.equal(clock("2026-11-26T23:30:05Z", "UTC"), "23:30:05");
  assert.equal(clock("2026-11-26T23:30:05Z", "Europe/Paris"), "00:30:05");
  assert.equal(dayOf("2026-11-26T23:30:05Z", "UTC"), "2026-11-26");
  assert.equal(dayOf("2026-11-26T23:30:05Z", "Europe/Paris"), "2026-11-27");
  assert.equal(clock("not a time"), "");
  assert.equal(dayOf(undefined), null);
});

test("activity lines name the customer and the product", () => {
  const products = { 3: "Laptop Stand" };
  const alice = { customerId: 7, customerName: "Alice Martin" };
  assert.equal(describeActivity("customer:online", alice), "Alice Martin came online");
  assert.equal(describeActivity("customer:offline", alice), "Alice Martin went offline");
  assert.equal(describeActivity("customer:viewing_product", { ...alice, productId: 3 }, products),
    "Alice Martin is viewing Laptop Stand");
  assert.equal(describeActivity("customer:added_to_cart", { ...alice, productId: 9, quantity: 2 }, products),
    "Alice Martin added 2 × product #9 to the cart");
  assert.equal(describeActivity("customer:activity", { customerId: 7 }), "Customer #7 is active");
});

test("inventory alerts become toasts; other inventory events do not", () => {
  const data = { productId: 1, sku: "LS-008", name: "Laptop Stand", quantity: 3, threshold: 5 };
  assert.deepEqual(inventoryToast("inventory:low_stock", data),
    { level: "warning", title: "Low stock", message: "Laptop Stand (LS-008): 3 left (threshold 5)" });
  assert.equal(inventoryToast("inventory:out_of_stock", data).level, "error");
  assert.equal(inventoryToast("inventory:restocked", data).level, "success");
  assert.equal(inventoryToast("inventory:updated", data), null);
});

test("a close that will reconnect reads as reconnecting", () => {
  assert.equal(shownState("closed", { willReconnect: true }), "reconnecting");
  assert.equal(shownState("closed", { willReconnect: false }), "closed");
  assert.equal(shownState("open"), "open");
});

// RevenueTracker

test("revenue: created orders of today add their total, once", () => {
  const tracker = new RevenueTracker({ revenue: "100.00", ordersToday: 2, day: TODAY });
  assert.equal(tracker.apply("order:created", order(10, { total: "19.99" })), true);
  assert.equal(tracker.revenue, "119.99");
  assert.equal(tracker.count, 3);
  assert.equal(tracker.apply("order:created", order(10, { total: "19.99" })), false, "a repeat");
  assert.equal(tracker.revenue, "119.99");
});

test("revenue: cancelled and refunded orders do not count", () => {
  const tracker = new RevenueTracker({ revenue: "0.00", day: TODAY });
  tracker.apply("order:created", order(1, { total: "50.00", status: "cancelled" }));
  assert.equal(tracker.revenue, "0.00");
  tracker.apply("order:created", order(2, { total: "30.00" }));
  // The server sends order:updated, then order:status_changed, for one change.
  tracker.apply("order:updated", order(2, { total: "30.00", status: "refunded" }));
  tracker.apply("order:status_changed", order(2, { total: "30.00", status: "refunded",
    previousStatus: "pending" }));
  assert.equal(tracker.revenue, "0.00");
  assert.equal(tracker.count, 0);
});

test("revenue: an order from before the page loaded leaves on cancellation, by previousStatus", () => {
  const tracker = new RevenueTracker({ revenue: "80.00", ordersToday: 1, day: TODAY });
  // order:updated alone says nothing about what the order counted before.
  assert.equal(tracker.apply("order:updated", order(5, { total: "80.00", status: "cancelled" })), false);
  tracker.apply("order:status_changed",
    order(5, { total: "80.00", status: "cancelled", previousStatus: "confirmed" }));
  assert.equal(tracker.revenue, "0.00");
  tracker.apply("order:status_changed",
    order(6, { total: "5.00", status: "shipped", previousStatus: "processing" }));
  assert.equal(tracker.revenue, "0.00", "a move between counted statuses changes nothing");
});

test("revenue: orders the page rendered are not added again, and their edits count", () => {
  const tracker = new RevenueTracker({
    revenue: "25.00", ordersToday: 1, day: TODAY, orders: [order(3, { total: "25.00" })],
  });
  assert.equal(tracker.apply("order:created", order(3, { total: "25.00" })), false);
  tracker.apply("order:updated", order(3, { total: "40.00" }));
  assert.equal(tracker.revenue, "40.00");
  tracker.apply("order:deleted", order(3, { total: "40.00" }));
  assert.equal(tracker.revenue, "0.00");
  assert.equal(tracker.count, 0);
});

test("revenue: other days do not count, and a new day starts from zero", () => {
  const tracker = new RevenueTracker({ revenue: "10.00", ordersToday: 1, day: TODAY });
  assert.equal(tracker.apply("order:created", order(1, { createdAt: "2026-11-25T23:59:59Z" })), false);
  tracker.apply("order:created", order(2, { total: "7.50", createdAt: "2026-11-27T00:00:01Z" }));
  assert.equal(tracker.day, "2026-11-27");
  assert.equal(tracker.revenue, "7.50");
  assert.equal(tracker.count, 1);
});

test("revenue: the day is the server's time zone's", () => {
  const tracker = new RevenueTracker({ revenue: "0.00", day: "2026-11-27", timeZone: "Europe/Paris" });
  tracker.apply("order:created", order(1, { total: "1.00", createdAt: "2026-11-26T23:30:00Z" }));
  assert.equal(tracker.revenue, "1.00");
});

// Presence

test("presence: online and offline by id, names kept, several tabs count once", () => {
  const presence = new Presence([{ id: 1, name: "Alice" }]);
  assert.equal(presence.apply("customer:online", { customerId: 1, customerName: "Alice" }), false);
  assert.equal(presence.apply("customer:online", { customerId: 2, customerName: "Bob" }), true);
  assert.equal(presence.count, 2);
  assert.equal(presence.apply("customer:offline", { customerId: 1 }), true);
  assert.equal(presence.apply("customer:offline", { customerId: 1 }), false);
  assert.equal(presence.apply("customer:viewing_product", { customerId: 1 }), true,
    "activity shows a customer whose online event was missed");
  assert.deepEqual([...presence.online], [[2, "Bob"], [1, "Alice"]]);
});

test("presence: the server's list replaces the set, keeping known names", () => {
  const presence = new Presence([{ id: 1, name: "Alice" }, { id: 2, name: "Bob" }]);
  assert.equal(presence.reset([2, 3]), true);
  assert.deepEqual([...presence.online], [[2, "Bob"], [3, "Customer #3"]]);
  assert.equal(presence.reset([3, 2]), false);
});
