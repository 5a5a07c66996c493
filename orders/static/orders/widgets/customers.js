/**
 * LiveCustomerCount: customers online now (`customer:online` / `customer:offline`,
 * re-read from GET /api/ws/presence after every reconnect) and a feed of recent
 * activity (viewing a product, adding to the cart, online, offline).
 * Markup: `{% live_customer_count show_details=True %}`.
 * @module orders/widgets/customers
 */

import { flash, h, part, prependBounded, readState } from "../../realtime/widgets/dom.js";
import { clock, statusClass } from "../../realtime/widgets/format.js";
import { describeActivity } from "./format.js";
import { Presence } from "./state.js";

/**
 * A feed item.
 * @param {Document} doc
 * @param {string} type
 * @param {object} data
 * @param {{ts?: string}} frame
 * @param {{products?: object, timeZone?: string}} options
 * @returns {HTMLElement}
 */
export function activityItem(doc, type, data, frame, { products = {}, timeZone = "UTC" } = {}) {
  return h(doc, "li", { className: `rt-feed__item rt-feed__item--${statusClass(type)}` }, [
    h(doc, "time", { className: "rt-feed__time", text: clock(frame.ts, timeZone),
      attrs: { datetime: frame.ts } }),
    h(doc, "span", { className: "rt-feed__text", text: describeActivity(type, data, products) }),
  ]);
}

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountCustomerCount(root, page) {
  const state = readState(root) ?? {};
  const doc = page.document;
  const presence = new Presence(state.online ?? []);
  const options = { products: state.products ?? {}, timeZone: page.config.timeZone };
  const max = state.maxItems ?? 8;
  const count = part(root, "count");
  const chips = part(root, "online");
  const feed = part(root, "feed");
  const feedEmpty = part(root, "feed-empty");

  const renderOnline = () => {
    count.textContent = String(presence.count);
    flash(count, "rt-flash");
    chips?.replaceChildren(...[...presence.online].map(([id, name]) =>
      h(doc, "li", { className: "rt-chip", text: name, attrs: { "data-customer-id": id } })));
  };

  page.subscribe("customers");
  const off = page.listen(["customers:*"], (type, data, frame) => {
    if (presence.apply(type, data)) renderOnline();
    if (feed) {
      prependBounded(feed, activityItem(doc, type, data, frame, options), max);
      if (feedEmpty) feedEmpty.hidden = true;
    }
  });

  // Presence is not replayed on resume: after a reconnect, ask the server who is here.
  let opened = false;
  const offOpen = page.socket.on("open", async () => {
    if (!opened) {
      opened = true;
      return;
    }
    try {
      const response = await page.fetch(page.config.presenceUrl,
        { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const body = await response.json();
      if (Array.isArray(body.customerIds) && presence.reset(body.customerIds)) renderOnline();
    } catch {
      // The next reconnect or event corrects it.
    }
  });
  return () => {
    off();
    offOpen();
  };
}
