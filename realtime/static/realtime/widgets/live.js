/**
 * Generic live widgets a host binds to its own event types, with no JavaScript of its own.
 *
 * - LiveField (`data-rt-widget="live-field"`): one value of one row, e.g. a ticket's
 *   status. Shows `data[field]` of every event of the bound types whose `data[keyField]`
 *   equals the element's key.
 * - LiveList (`data-rt-widget="live-list"`): the newest events of the bound types, one
 *   `<li>` each showing `data[field]`, at most `max`.
 *
 * Markup: `{% live_field %}` and `{% live_list %}` ({% load realtime %}). Text only,
 * never HTML from the data.
 * @module realtime/widgets/live
 */

import { flash, h, prependBounded } from "./dom.js";

const typesOf = (root) => (root.getAttribute("data-rt-types") ?? "").split(/\s+/).filter(Boolean);
const display = (value) => (value === null || value === undefined ? "" : String(value));

/** @param {HTMLElement} root @param {import("./page.js").Page} page */
export function mountLiveField(root, page) {
  const key = root.getAttribute("data-rt-key");
  const keyField = root.getAttribute("data-rt-key-field") || "id";
  const field = root.getAttribute("data-rt-field");
  page.subscribe(root.getAttribute("data-rt-namespace"));
  return page.listen(typesOf(root), (type, data) => {
    if (display(data[keyField]) !== key || !(field in data)) return;
    const text = display(data[field]);
    if (root.textContent === text) return;
    root.textContent = text;
    root.setAttribute("data-rt-value", text);
    flash(root, "rt-live--changed");
  });
}

/** @param {HTMLElement} root @param {import("./page.js").Page} page */
export function mountLiveList(root, page) {
  const field = root.getAttribute("data-rt-field");
  const max = Number(root.getAttribute("data-rt-max")) || 10;
  page.subscribe(root.getAttribute("data-rt-namespace"));
  return page.listen(typesOf(root), (type, data, frame) => {
    const item = h(page.document, "li", {
      className: "rt-live-list__item", text: display(data[field]),
      attrs: { "data-rt-type": type, "data-rt-id": frame.id ?? "" },
    });
    prependBounded(root, item, max);
  });
}
