/**
 * @omni-sales/orders-react: the demo's live components for React, on the realtime
 * client's hook (@omni-sales/realtime/react). They name the orders app's namespaces and
 * event types, so they are the orders app's static files, not realtime's.
 * @module orders/react
 */
export { OrderStatusBadge } from "./badge.js";
export { LiveCustomerCount, applyPresence } from "./customers.js";
export { LiveSalesTicker, NOT_REVENUE, tick } from "./ticker.js";
