/**
 * Omni Sales' order and customer texts; orders/templatetags/orders_live.py renders the
 * same on the server (describe_activity, payment_label).
 * @module orders/widgets/format
 */

import { statusLabel } from "../../realtime/widgets/format.js";

/** Order statuses that do not count as revenue (orders.pages.EXCLUDED_FROM_REVENUE). */
export const NOT_REVENUE = Object.freeze(["cancelled", "refunded"]);

/**
 * One line of the activity feed for a `customer:*` event.
 * @param {string} type - e.g. "customer:viewing_product"
 * @param {object} data - the event payload
 * @param {Record<string, string>} [products] - product id → name
 * @returns {string}
 */
export function describeActivity(type, data = {}, products = {}) {
  const name = data.customerName || `Customer #${data.customerId}`;
  const product = products[String(data.productId)] || `product #${data.productId}`;
  switch (String(type).split(":")[1]) {
    case "online":
      return `${name} came online`;
    case "offline":
      return `${name} went offline`;
    case "viewing_product":
      return `${name} is viewing ${product}`;
    case "added_to_cart":
      return `${name} added ${data.quantity || 1} × ${product} to the cart`;
    default:
      return `${name} is active`;
  }
}

/**
 * The label of a payment's status: completed is shown as "Received" (payment:received).
 * @param {unknown} status - pending, completed, failed, refunded
 * @returns {string}
 */
export function paymentLabel(status) {
  return status === "completed" ? "Received" : statusLabel(status);
}
