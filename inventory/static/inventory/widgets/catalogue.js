/**
 * The catalogue at /products/, live: a card's name, price and stock follow
 * `product:updated` / `product:price_changed` and `inventory:updated`, a new product
 * gets its card in name order (`product:created`), a deleted one loses it. Roles that
 * do not see stock (customers, guests) see active products only, as the page's query
 * does (inventory.pages.visible_products). Markup: templates/inventory/product_list.html.
 * @module inventory/widgets/catalogue
 */

import { flash, h, part } from "../../realtime/widgets/dom.js";
import { formatMoney, moneyOptions } from "../../orders/widgets/money.js";

/**
 * A card, the same markup as the template's.
 * @param {Document} doc
 * @param {object} product - products payload
 * @param {{url?: string, seesStock?: boolean, money?: object}} options
 * @returns {HTMLElement}
 */
export function productCard(doc, product, { url = "", seesStock = false, money } = {}) {
  const href = url ? url.replace("{id}", encodeURIComponent(product.id)) : null;
  return h(doc, "li", {
    className: `card${product.isActive === false ? " card--inactive" : ""}`,
    attrs: { "data-product-id": product.id, "data-name": product.name },
  }, [
    h(doc, "a", { className: "card__link", attrs: { href } }, [
      h(doc, "span", { className: "card__title", text: product.name, attrs: { "data-rt-part": "name" } }),
      h(doc, "span", { className: "muted small", text: skuText(product), attrs: { "data-rt-part": "sku" } }),
      h(doc, "span", { className: "card__price", text: formatMoney(product.price, money),
        attrs: { "data-rt-part": "price" } }),
      seesStock ? h(doc, "span", { className: "muted small", text: stockText(0),
        attrs: { "data-rt-part": "stock" } }) : null,
    ]),
  ]);
}

const skuText = (product) => `${product.sku}${product.isActive === false ? " · inactive" : ""}`;
const stockText = (quantity) => `${quantity} in stock`;

/** Sets a part's text; flashes it when it changed. */
function show(node, text) {
  if (!node || node.textContent === text) return;
  node.textContent = text;
  flash(node, "rt-flash");
}

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountCatalogue(root, page) {
  const doc = page.document;
  const options = { url: root.getAttribute("data-product-url") ?? "",
    seesStock: root.hasAttribute("data-sees-stock"), money: moneyOptions(root) };
  const empty = part(root, "empty");
  const cardOf = (id) => root.querySelector(`li[data-product-id="${Number(id)}"]`);
  const cards = () => [...root.querySelectorAll("li[data-product-id]")];
  const settle = () => {
    if (empty) empty.hidden = cards().length > 0;
  };

  const insert = (product) => {
    const node = productCard(doc, product, options);
    const after = cards().find((card) =>
      String(card.getAttribute("data-name")).localeCompare(product.name) > 0);
    if (after) root.insertBefore(node, after);
    else root.insertBefore(node, empty ?? null);
    flash(node, "rt-row--new");
  };

  const onProduct = (type, product) => {
    const card = cardOf(product.id);
    const hidden = product.isActive === false && !options.seesStock;
    if (type === "product:deleted" || (hidden && card)) {
      card?.remove();
    } else if (!card && !hidden && type !== "product:deleted") {
      insert(product);
    } else if (card) {
      show(part(card, "name"), product.name);
      show(part(card, "sku"), skuText(product));
      show(part(card, "price"), formatMoney(product.price, options.money));
      card.classList.toggle("card--inactive", product.isActive === false);
      card.setAttribute("data-name", product.name);
    }
    settle();
  };

  const onStock = (type, stock) => {
    const card = cardOf(stock.productId);
    if (card) show(part(card, "stock"), stockText(stock.quantity));
  };

  page.subscribe("products");
  const offs = [page.listen(["products:*"], onProduct)];
  if (options.seesStock && page.subscribe("inventory")) {
    offs.push(page.listen(["inventory:updated"], onStock));
  }
  return () => offs.forEach((off) => off());
}
