/**
 * OrderStatusBadge: one order's status, live from `order:updated`,
 * `order:status_changed` and `order:deleted` for that order id, with a CSS
 * animation on change and a dot showing the connection's state.
 * Markup: `{% order_status_badge order %}` or `badgeElement()`.
 * @module orders/widgets/badge
 */

import { followState } from "../../realtime/widgets/connection.js";
import { flash, h, part } from "../../realtime/widgets/dom.js";
import { statusClass, statusLabel } from "../../realtime/widgets/format.js";

const TYPES = ["order:updated", "order:status_changed", "order:deleted"];

/**
 * A badge element, the same markup the template tag renders (mount it with page.mountAll).
 * @param {Document} doc
 * @param {{id: number, status: string}} order
 * @returns {HTMLElement}
 */
export function badgeElement(doc, order) {
  return h(doc, "span", {
    className: `rt-badge rt-badge--${statusClass(order.status)}`,
    attrs: { "data-rt-widget": "order-status", "data-order-id": order.id,
      "data-status": order.status },
  }, [
    h(doc, "span", { className: "rt-badge__label", text: statusLabel(order.status),
      attrs: { "data-rt-part": "label" } }),
    h(doc, "span", { className: "rt-badge__conn",
      attrs: { "data-rt-part": "conn", "data-state": "connecting", "aria-hidden": "true" } }),
  ]);
}

/**
 * Shows `status` on a badge; returns whether it changed.
 * @param {HTMLElement} root
 * @param {string} status
 * @returns {boolean}
 */
export function setBadgeStatus(root, status) {
  const previous = root.getAttribute("data-status");
  if (status === previous) return false;
  root.classList.remove(`rt-badge--${statusClass(previous)}`);
  root.classList.add(`rt-badge--${statusClass(status)}`);
  root.setAttribute("data-status", status);
  const label = part(root, "label");
  if (label) label.textContent = statusLabel(status);
  flash(root, "rt-badge--changed");
  return true;
}

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountOrderStatus(root, page) {
  const orderId = Number(root.getAttribute("data-order-id"));
  page.subscribe("orders");
  const off = page.listen(TYPES, (type, data) => {
    if (data.id !== orderId) return;
    if (type === "order:deleted") setBadgeStatus(root, "deleted");
    else if (typeof data.status === "string") setBadgeStatus(root, data.status);
  });
  const conn = part(root, "conn");
  const offState = conn ? followState(conn, page.socket) : () => {};
  return () => {
    off();
    offState();
  };
}
