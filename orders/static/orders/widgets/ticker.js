/**
 * LiveSalesTicker: the latest orders (`order:created`, rows kept up to date by
 * `order:*`), today's revenue and order count (RevenueTracker: what counts is written
 * there) and, for roles that see payments, payment notifications (`payment:*`).
 * Markup: `{% live_sales_ticker max_items=10 %}`.
 * @module orders/widgets/ticker
 */

import { badgeElement } from "./badge.js";
import { flash, h, part, prependBounded, readState } from "../../realtime/widgets/dom.js";
import { clock, statusClass } from "../../realtime/widgets/format.js";
import { paymentLabel } from "./format.js";
import { formatMoney, moneyOptions } from "./money.js";
import { RevenueTracker } from "./state.js";

/**
 * A row of the orders list, the same markup as the template's.
 * @param {Document} doc
 * @param {object} order - orders payload
 * @param {{timeZone?: string, orderUrl?: string, money?: object}} options - orderUrl like
 *   "/orders/{id}/", money the formatMoney options
 * @returns {HTMLElement}
 */
export function orderRow(doc, order, { timeZone = "UTC", orderUrl = "", money } = {}) {
  const number = `#${order.id}`;
  const ref = orderUrl
    ? h(doc, "a", { className: "rt-row__ref", text: number,
      attrs: { href: orderUrl.replace("{id}", encodeURIComponent(order.id)) } })
    : h(doc, "span", { className: "rt-row__ref", text: number });
  return h(doc, "li", { className: "rt-row", attrs: { "data-order-id": order.id } }, [
    h(doc, "span", { className: "rt-row__main" }, [
      ref,
      h(doc, "span", { className: "rt-row__who", text: order.customerName,
        attrs: { "data-rt-part": "order-customer" } }),
    ]),
    h(doc, "span", { className: "rt-row__meta",
      text: `${order.channel ?? ""} · ${clock(order.createdAt, timeZone)}` }),
    h(doc, "span", { className: "rt-row__amount", text: formatMoney(order.total, money),
      attrs: { "data-rt-part": "order-total" } }),
    badgeElement(doc, order),
  ]);
}

/**
 * A row of the payments list.
 * @param {Document} doc
 * @param {object} payment - payments payload (`reason` on failed)
 * @param {{ts?: string}} frame
 * @param {{timeZone?: string, money?: object}} options
 * @returns {HTMLElement}
 */
export function paymentRow(doc, payment, frame = {}, { timeZone = "UTC", money } = {}) {
  const label = paymentLabel(payment.status);
  return h(doc, "li", {
    className: `rt-row rt-payment rt-payment--${statusClass(payment.status)}`,
    attrs: { "data-payment-id": payment.id },
  }, [
    h(doc, "span", { className: "rt-row__main" }, [
      h(doc, "span", { className: "rt-row__ref", text: `Payment #${payment.id}` }),
      h(doc, "span", { className: "rt-row__who", text: `order #${payment.orderId}` }),
    ]),
    h(doc, "span", { className: "rt-row__meta",
      text: [payment.method, frame.ts ? clock(frame.ts, timeZone) : ""].filter(Boolean).join(" · ") }),
    h(doc, "span", { className: "rt-row__amount", text: formatMoney(payment.amount, money) }),
    h(doc, "span", { className: `rt-pill rt-pill--${statusClass(payment.status)}`, text: label }),
    payment.reason ? h(doc, "span", { className: "rt-row__note", text: payment.reason }) : null,
  ]);
}

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountSalesTicker(root, page) {
  const state = readState(root) ?? {};
  const doc = page.document;
  const timeZone = page.config.timeZone;
  const money = moneyOptions(root);
  const options = { timeZone, orderUrl: root.getAttribute("data-order-url") ?? "", money };
  const max = state.maxItems ?? 10;
  const tracker = new RevenueTracker({ ...state, timeZone });
  const revenue = part(root, "revenue");
  const ordersToday = part(root, "orders-today");
  const orders = part(root, "orders");
  const ordersEmpty = part(root, "orders-empty");
  const payments = part(root, "payments");
  const paymentsEmpty = part(root, "payments-empty");

  const rowOf = (list, attr, id) => list?.querySelector(`li[${attr}="${Number(id)}"]`) ?? null;
  const drop = (rows) => rows.forEach((row) => page.unmountAll(row));

  const onOrder = (type, order) => {
    if (tracker.apply(type, order)) {
      revenue.textContent = formatMoney(tracker.revenue, money);
      ordersToday.textContent = String(tracker.count);
      flash(revenue, "rt-flash");
    }
    const row = rowOf(orders, "data-order-id", order.id);
    if (type === "order:created" && !row) {
      const node = orderRow(doc, order, options);
      drop(prependBounded(orders, node, max));
      page.mountAll(node);
      flash(node, "rt-row--new");
      if (ordersEmpty) ordersEmpty.hidden = true;
    } else if (row && type === "order:deleted") {
      row.classList.add("rt-row--deleted");
    } else if (row && order.total !== undefined) {
      const total = part(row, "order-total");
      const text = formatMoney(order.total, money);
      if (total && total.textContent !== text) {
        total.textContent = text;
        flash(total, "rt-flash");
      }
    }
  };

  const onPayment = (type, payment, frame) => {
    if (!payments) return;
    rowOf(payments, "data-payment-id", payment.id)?.remove();
    const node = paymentRow(doc, payment, frame, options);
    prependBounded(payments, node, max);
    flash(node, "rt-row--new");
    if (paymentsEmpty) paymentsEmpty.hidden = true;
  };

  page.subscribe("orders");
  const offs = [page.listen(["orders:*"], onOrder)];
  if (payments && page.subscribe("payments")) offs.push(page.listen(["payments:*"], onPayment));
  return () => offs.forEach((off) => off());
}
