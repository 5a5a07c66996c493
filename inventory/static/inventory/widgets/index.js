/**
 * The inventory app's widgets, and the toasts its stock alerts become in
 * `{% notifications "inventory" %}`. Declared in inventory/realtime.py.
 * @module inventory/widgets/index
 */

import { mountCatalogue } from "./catalogue.js";
import { inventoryToast, mountInventoryAlerts } from "./inventory.js";
import { mountProduct } from "./storefront.js";

export const widgets = Object.freeze({
  "inventory-alerts": mountInventoryAlerts,
  "product": mountProduct,
  "product-list": mountCatalogue,
});

const ALERTS = ["inventory:low_stock", "inventory:out_of_stock", "inventory:restocked"];
export const toasts = Object.freeze(
  Object.fromEntries(ALERTS.map((type) => [type, (data) => inventoryToast(type, data)])));
