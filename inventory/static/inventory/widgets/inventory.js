/**
 * Stock alerts: the products at or below their threshold, live from `inventory:*`
 * (low_stock and out_of_stock add or move an item to the top, restocked removes it,
 * updated changes its quantity). Markup: `{% inventory_alerts %}`.
 * @module inventory/widgets/inventory
 */

import { flash, h, part, prependBounded, readState } from "../../realtime/widgets/dom.js";

/**
 * "out" at zero or below, else "low".
 * @param {{quantity: number}} item
 * @returns {"out"|"low"}
 */
export function stockLevel(item) {
  return Number(item.quantity) <= 0 ? "out" : "low";
}

/**
 * An alert item, the same markup as the template's.
 * @param {Document} doc
 * @param {object} item - inventory payload
 * @returns {HTMLElement}
 */
export function stockItem(doc, item) {
  return h(doc, "li", {
    className: `rt-row rt-stock rt-stock--${stockLevel(item)}`,
    attrs: { "data-product-id": item.productId },
  }, [
    h(doc, "span", { className: "rt-row__main" }, [
      h(doc, "span", { className: "rt-row__ref", text: item.name }),
      h(doc, "span", { className: "rt-row__who", text: item.sku }),
    ]),
    h(doc, "span", { className: "rt-row__amount" }, [
      h(doc, "span", { text: item.quantity, attrs: { "data-rt-part": "stock-quantity" } }),
      h(doc, "span", { className: "rt-muted", text: ` / ${item.threshold}` }),
    ]),
  ]);
}

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountInventoryAlerts(root, page) {
  const state = readState(root) ?? {};
  const doc = page.document;
  const max = state.maxItems ?? 8;
  const list = part(root, "stock-items");
  const count = part(root, "stock-count");
  const empty = part(root, "stock-empty");

  const itemOf = (id) => list.querySelector(`li[data-product-id="${Number(id)}"]`);
  const recount = () => {
    count.textContent = String(list.children.length);
    if (empty) empty.hidden = list.children.length > 0;
  };

  page.subscribe("inventory");
  const off = page.listen(["inventory:*"], (type, data) => {
    const item = itemOf(data.productId);
    if (type === "inventory:low_stock" || type === "inventory:out_of_stock") {
      item?.remove();
      const node = stockItem(doc, data);
      prependBounded(list, node, max);
      flash(node, "rt-row--new");
    } else if (type === "inventory:restocked" ||
      (item && Number(data.quantity) > Number(data.threshold))) {
      item?.remove();
    } else if (item) {
      item.classList.remove("rt-stock--low", "rt-stock--out");
      item.classList.add(`rt-stock--${stockLevel(data)}`);
      const quantity = part(item, "stock-quantity");
      quantity.textContent = String(data.quantity);
      flash(quantity, "rt-flash");
    }
    recount();
  });
  return off;
}

/**
 * The toast for an `inventory:*` alert, or null for types that are not alerts.
 * @param {string} type
 * @param {object} data - inventory payload
 * @returns {{level: string, title: string, message: string}|null}
 */
export function inventoryToast(type, data = {}) {
  const what = `${data.name ?? "A product"}${data.sku ? ` (${data.sku})` : ""}`;
  switch (type) {
    case "inventory:low_stock":
      return { level: "warning", title: "Low stock",
        message: `${what}: ${data.quantity} left (threshold ${data.threshold})` };
    case "inventory:out_of_stock":
      return { level: "error", title: "Out of stock", message: `${what} is out of stock` };
    case "inventory:restocked":
      return { level: "success", title: "Restocked", message: `${what}: ${data.quantity} in stock` };
    default:
      return null;
  }
}
