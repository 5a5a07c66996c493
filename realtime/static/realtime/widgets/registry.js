/**
 * Widget name (`data-rt-widget`) → mount function `(root, page) => unmount`.
 * @module realtime/widgets/registry
 */

import { mountOrderStatus } from "./badge.js";
import { mountConnection } from "./connection.js";
import { mountCustomerCount } from "./customers.js";
import { mountInventoryAlerts } from "./inventory.js";
import { mountLiveField, mountLiveList } from "./live.js";
import { mountNotifications } from "./notifications.js";
import { mountProduct } from "./storefront.js";
import { mountSalesTicker } from "./ticker.js";

export const WIDGETS = Object.freeze({
  "connection": mountConnection,
  "order-status": mountOrderStatus,
  "customer-count": mountCustomerCount,
  "sales-ticker": mountSalesTicker,
  "inventory-alerts": mountInventoryAlerts,
  "notifications": mountNotifications,
  "product": mountProduct,
  "live-field": mountLiveField,
  "live-list": mountLiveList,
});
