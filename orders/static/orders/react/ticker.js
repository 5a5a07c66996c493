/**
 * LiveSalesTicker: the latest orders and the revenue they add up to, live from `order:*`.
 *
 * Revenue starts at `revenue` (the server's figure when the page was rendered, counting
 * `orders`) and moves with every event: a created order adds its total, a status moving
 * to cancelled or refunded takes it out again, a deleted order leaves.
 * @module orders/react/ticker
 */

import { createElement, useEffect, useReducer } from "react";
import { formatMoney, statusClass, statusLabel, toCents, useRealtime } from "@omni-sales/realtime/react";

/** Order statuses that do not count as revenue (orders.pages.EXCLUDED_FROM_REVENUE). */
export const NOT_REVENUE = Object.freeze(["cancelled", "refunded"]);

const worth = (order, status = order.status) => {
  const cents = toCents(order.total);
  return NOT_REVENUE.includes(status) || Number.isNaN(cents) ? 0 : cents;
};

/**
 * The ticker's state after one `order:*` event (pure: tested without React).
 * @param {{orders: object[], cents: number, known: Map<number, number>, max: number}} state
 * @param {{type: string, order: object}} event
 */
export function tick(state, { type, order }) {
  if (!order || order.id === undefined) return state;
  const { known } = state;
  const rows = state.orders;
  const index = rows.findIndex((row) => row.id === order.id);
  if (type === "order:created") {
    if (known.has(order.id)) return state;
    const value = worth(order);
    return { ...state, cents: state.cents + value, known: new Map(known).set(order.id, value),
      orders: [order, ...rows].slice(0, state.max) };
  }
  const deleted = type === "order:deleted";
  let before = known.get(order.id);
  if (before === undefined && type === "order:status_changed" && order.previousStatus) {
    before = worth(order, order.previousStatus); // an order counted before the page saw it
  }
  const after = deleted ? 0 : worth(order);
  const row = deleted ? { ...order, status: "deleted" } : order;
  return {
    ...state,
    cents: before === undefined ? state.cents : state.cents + after - before,
    known: before === undefined ? known : new Map(known).set(order.id, after),
    orders: index < 0 ? rows : rows.map((r, i) => (i === index ? { ...r, ...row } : r)),
  };
}

/**
 * @param {{orders?: object[], revenue?: string, maxItems?: number, currency?: string,
 *   locale?: string, socket?: import("@omni-sales/realtime").RealtimeSocket}} props
 */
export function LiveSalesTicker({ orders = [], revenue = "0.00", maxItems = 10, currency, locale,
  socket }) {
  const { on } = useRealtime({ namespaces: ["orders"], socket });
  const [state, dispatch] = useReducer(tick, null, () => ({
    orders: orders.slice(0, maxItems),
    cents: toCents(revenue) || 0,
    known: new Map(orders.map((order) => [order.id, worth(order)])),
    max: maxItems,
  }));

  useEffect(() => on("orders:*", (order, frame) => dispatch({ type: frame.type, order })), [on]);

  const money = (cents) => formatMoney(cents, { currency, locale });
  return createElement("div", { className: "rt-ticker" },
    createElement("p", { className: "rt-ticker__revenue", "data-cents": state.cents },
      money(state.cents)),
    createElement("ul", { className: "rt-ticker__orders" }, state.orders.map((order) =>
      createElement("li", { key: order.id, "data-order-id": order.id,
        className: `rt-row rt-row--${statusClass(order.status)}` },
      createElement("span", { className: "rt-row__ref" }, `#${order.id}`), " ",
      createElement("span", { className: "rt-row__who" }, order.customerName), " ",
      createElement("span", { className: "rt-row__amount" }, money(toCents(order.total) || 0)), " ",
      createElement("span", { className: "rt-row__status" }, statusLabel(order.status))))));
}
