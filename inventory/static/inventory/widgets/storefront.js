/**
 * A product page: its live price (`product:updated` / `product:price_changed`) and,
 * for customers, the activity the dashboards show: `viewing_product` when the page
 * opens and `added_to_cart` when "Add to cart" is pressed (the server accepts
 * activity from customers only). Markup: templates/inventory/product_detail.html.
 * @module inventory/widgets/storefront
 */

import { flash, part } from "../../realtime/widgets/dom.js";
import { formatMoney, moneyOptions } from "../../orders/widgets/money.js";

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountProduct(root, page) {
  const productId = Number(root.getAttribute("data-product-id"));
  const price = part(root, "price");
  const form = part(root, "cart");
  const quantity = part(root, "quantity");
  const status = part(root, "cart-status");
  const money = moneyOptions(root);

  page.subscribe("products");
  const off = page.listen(["product:updated", "product:price_changed"], (type, data) => {
    const text = formatMoney(data.price, money);
    if (data.id !== productId || !price || price.textContent === text) return;
    price.textContent = text;
    flash(price, "rt-flash");
  });

  const isCustomer = page.config.role === "customer";
  if (isCustomer) page.socket.activity("viewing_product", { productId });
  const onSubmit = (event) => {
    event.preventDefault();
    if (!isCustomer) return;
    const count = Math.max(1, Math.min(99, Number.parseInt(quantity?.value ?? "1", 10) || 1));
    page.socket.activity("added_to_cart", { productId, quantity: count });
    if (status) {
      status.textContent = `Added ${count} to your cart`;
      flash(status, "rt-flash");
    }
  };
  form?.addEventListener("submit", onSubmit);
  return () => {
    off();
    form?.removeEventListener("submit", onSubmit);
  };
}
