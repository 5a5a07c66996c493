/**
 * Pure state of the widgets, kept apart from the DOM so it is tested on its own.
 * @module orders/widgets/state
 */

import { dayOf, fromCents, toCents } from "../../realtime/widgets/format.js";
import { NOT_REVENUE } from "./format.js";

/**
 * Today's revenue, kept live from `order:*` events with the server's rule
 * (orders.pages.sales_snapshot): the sum of `total` of the orders created today, in
 * the server's time zone, whose status is not cancelled or refunded.
 *
 * - `order:created` of today adds its total (a repeated id is ignored);
 * - `order:updated` / `order:status_changed` of today move the sum by the difference
 *   between what the order counted before and what it counts now: an order moving to
 *   cancelled/refunded leaves the sum, a changed total changes it. For an order the
 *   page has not seen before, only a status change (from `previousStatus`) is known;
 *   an edited total of such an order shows after a reload;
 * - `order:deleted` of today removes what it counted;
 * - an order created on a later day starts that day at zero.
 */
export class RevenueTracker {
  /**
   * @param {{revenue?: string, ordersToday?: number, day?: string, timeZone?: string,
   *   excluded?: string[], orders?: object[]}} initial - the server's snapshot; `orders`
   *   (payloads) are orders the server already counted, so their events are not re-added
   */
  constructor({ revenue = "0.00", ordersToday = 0, day = null, timeZone = "UTC",
    excluded = NOT_REVENUE, orders = [] } = {}) {
    this.cents = toCents(revenue) || 0;
    this.count = ordersToday;
    this.day = day;
    this.timeZone = timeZone;
    this.excluded = new Set(excluded.length ? excluded : NOT_REVENUE);
    // order id → what it counts now: {cents, counted}
    this.known = new Map();
    for (const order of orders) {
      if (this._today(order) === true) this.known.set(order.id, this._value(order));
    }
  }

  /** The sum as a decimal string. */
  get revenue() {
    return fromCents(this.cents);
  }

  _value(order) {
    const cents = toCents(order.total);
    return { cents: Number.isNaN(cents) ? 0 : cents, counted: !this.excluded.has(order.status) };
  }

  /** true: created today; false: another day; "later": a later day (a new day began). */
  _today(order) {
    const day = dayOf(order.createdAt, this.timeZone);
    if (day === null) return false;
    if (this.day === null) this.day = day;
    if (day === this.day) return true;
    return day > this.day ? "later" : false;
  }

  _move(before, after) {
    const worth = (v) => (v && v.counted ? v.cents : 0);
    this.cents += worth(after) - worth(before);
    this.count += (after?.counted ? 1 : 0) - (before?.counted ? 1 : 0);
  }

  /**
   * Applies one event; returns whether the revenue or the count changed.
   * @param {string} type - an `order:*` type
   * @param {object} order - its payload
   * @returns {boolean}
   */
  apply(type, order) {
    if (!order || order.id === undefined) return false;
    const today = this._today(order);
    if (today === "later" && type === "order:created") {
      this.day = dayOf(order.createdAt, this.timeZone);
      this.cents = 0;
      this.count = 0;
      this.known.clear();
    } else if (today !== true) {
      return false;
    }
    const before = this.known.get(order.id);
    const was = [this.cents, this.count];
    switch (type) {
      case "order:created":
        if (before) return false;
        this.known.set(order.id, this._value(order));
        this._move(null, this.known.get(order.id));
        break;
      case "order:updated":
      case "order:status_changed": {
        const now = this._value(order);
        let previous = before;
        if (!previous) {
          if (type !== "order:status_changed" || order.previousStatus === undefined) return false;
          previous = { cents: now.cents, counted: !this.excluded.has(order.previousStatus) };
        }
        this.known.set(order.id, now);
        this._move(previous, now);
        break;
      }
      case "order:deleted": {
        const previous = before ?? this._value(order);
        this.known.set(order.id, { cents: 0, counted: false });
        this._move(previous, null);
        break;
      }
      default:
        return false;
    }
    return this.cents !== was[0] || this.count !== was[1];
  }
}

/**
 * Customers online: id → name, from the server's list, then online/offline events.
 */
export class Presence {
  /** @param {{id: number, name: string}[]} [online] */
  constructor(online = []) {
    this.online = new Map(online.map((c) => [c.id, c.name]));
    this.names = new Map(this.online);
  }

  get count() {
    return this.online.size;
  }

  /**
   * Applies a `customer:*` event; returns whether the set changed.
   * @param {string} type
   * @param {{customerId: number, customerName?: string}} data
   * @returns {boolean}
   */
  apply(type, data = {}) {
    const id = data.customerId;
    if (id === undefined || id === null) return false;
    if (data.customerName) this.names.set(id, data.customerName);
    if (type === "customer:offline") return this.online.delete(id);
    // Any activity shows the customer is here, even if their online event was missed.
    if (this.online.has(id)) return false;
    this.online.set(id, this.names.get(id) ?? `Customer #${id}`);
    return true;
  }

  /**
   * Replaces the set with the server's ids (GET /api/ws/presence), keeping known names.
   * @param {number[]} ids
   * @returns {boolean} whether the set changed
   */
  reset(ids) {
    const next = new Map(ids.map((id) => [id, this.names.get(id) ?? `Customer #${id}`]));
    const changed = next.size !== this.online.size || [...next.keys()].some((id) => !this.online.has(id));
    this.online = next;
    return changed;
  }
}
