/**
 * The orders app's widgets, by the name their markup carries (`data-rt-widget`).
 * Declared in orders/realtime.py (`realtime.widgets.register_module`), so the page's
 * boot module imports this and mounts them beside realtime's own.
 * @module orders/widgets/index
 */

import { mountOrderStatus } from "./badge.js";
import { mountSalesChart } from "./chart.js";
import { mountCustomerCount } from "./customers.js";
import { mountSalesTicker } from "./ticker.js";

export const widgets = Object.freeze({
  "order-status": mountOrderStatus,
  "customer-count": mountCustomerCount,
  "sales-ticker": mountSalesTicker,
  "sales-chart": mountSalesChart,
});
