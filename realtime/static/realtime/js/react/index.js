/**
 * @omni-sales/realtime/react: the hook and the live components. React is a peer
 * dependency (the page's own copy); written with createElement, so no build step.
 * @module realtime/react
 */
export { RealtimeProvider, acquire, defaultUrl, useRealtime } from "./hook.js";
export { OrderStatusBadge } from "./badge.js";
export { LiveCustomerCount } from "./customers.js";
export { LiveSalesTicker } from "./ticker.js";
export { defaultCurrency, formatMoney } from "./format.js";
