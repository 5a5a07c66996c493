/**
 * Today's orders and revenue per minute, kept live from `order:*` events with the
 * rule of today's revenue (RevenueTracker, orders.pages.revenue_today): orders created
 * today, in the server's time zone, not cancelled or refunded. Pure state, apart from
 * the chart's DOM, so node tests it on its own.
 * @module orders/widgets/minutes
 */

import { dayOf, fromCents, toCents } from "../../realtime/widgets/format.js";
import { NOT_REVENUE } from "./format.js";

const MINUTE = 60_000;

/**
 * The start of an ISO time's minute, as epoch milliseconds (whole minutes are the same
 * instants in every time zone the server may use, so no zone is needed here).
 * @param {string} iso
 * @returns {number|null}
 */
export function minuteOf(iso) {
  const ms = new Date(iso).getTime();
  return Number.isNaN(ms) ? null : Math.floor(ms / MINUTE) * MINUTE;
}

export class MinuteSeries {
  /**
   * @param {{minutes?: {minute: string, orders: number, revenue: string}[],
   *   orders?: object[], day?: string, timeZone?: string, excluded?: string[]}} initial -
   *   the server's buckets (orders.pages.sales_per_minute) and the orders it counted
   */
  constructor({ minutes = [], orders = [], day = null, timeZone = "UTC",
    excluded = NOT_REVENUE } = {}) {
    this.day = day;
    this.timeZone = timeZone;
    this.excluded = new Set(excluded.length ? excluded : NOT_REVENUE);
    /** minute (epoch ms) → {orders, cents} */
    this.buckets = new Map();
    for (const { minute, orders: count, revenue } of minutes) {
      const key = minuteOf(minute);
      if (key !== null) this.buckets.set(key, { orders: count, cents: toCents(revenue) || 0 });
    }
    /** order id → what it counts now: {minute, cents, counted} */
    this.known = new Map();
    for (const order of orders) {
      if (dayOf(order.createdAt, timeZone) === this.day) this.known.set(order.id, this._value(order));
    }
  }

  _value(order) {
    const cents = toCents(order.total);
    return { minute: minuteOf(order.createdAt), cents: Number.isNaN(cents) ? 0 : cents,
      counted: !this.excluded.has(order.status) };
  }

  _add(value, sign) {
    if (!value?.counted || value.minute === null) return;
    const bucket = this.buckets.get(value.minute) ?? { orders: 0, cents: 0 };
    bucket.orders += sign;
    bucket.cents += sign * value.cents;
    if (bucket.orders <= 0) this.buckets.delete(value.minute);
    else this.buckets.set(value.minute, bucket);
  }

  /**
   * Applies one event; returns whether a bucket changed.
   * @param {string} type - an `order:*` type
   * @param {object} order - its payload
   * @returns {boolean}
   */
  apply(type, order) {
    if (!order || order.id === undefined) return false;
    const day = dayOf(order.createdAt, this.timeZone);
    if (day === null) return false;
    if (this.day === null) this.day = day;
    if (day > this.day && type === "order:created") {
      this.day = day;
      this.buckets.clear();
      this.known.clear();
    } else if (day !== this.day) {
      return false;
    }
    const before = this.known.get(order.id);
    let after;
    switch (type) {
      case "order:created":
        if (before) return false;
        after = this._value(order);
        break;
      case "order:updated":
      case "order:status_changed":
        after = this._value(order);
        if (!before) {
          if (type !== "order:status_changed" || order.previousStatus === undefined) return false;
          this._add({ ...after, counted: !this.excluded.has(order.previousStatus) }, -1);
          this._add(after, 1);
          this.known.set(order.id, after);
          return true;
        }
        break;
      case "order:deleted":
        after = { ...(before ?? this._value(order)), counted: false };
        if (!before) this._add(this._value(order), -1);
        break;
      default:
        return false;
    }
    this._add(before, -1);
    this._add(after, 1);
    this.known.set(order.id, after);
    return true;
  }

  /** The buckets oldest first: {minute (epoch ms), orders, revenue (decimal string)}. */
  points() {
    return [...this.buckets.entries()].sort(([a], [b]) => a - b)
      .map(([minute, { orders, cents }]) => ({ minute, orders, revenue: fromCents(cents) }));
  }
}
