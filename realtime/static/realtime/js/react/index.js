/**
 * @omni-sales/realtime/react: the hook, the provider and the helpers live components are
 * built with. React is a peer dependency (the page's own copy); written with
 * createElement, so no build step. The demo's components (OrderStatusBadge,
 * LiveCustomerCount, LiveSalesTicker) are the orders app's: @omni-sales/orders-react.
 * @module realtime/react
 */
export { RealtimeProvider, acquire, defaultUrl, useRealtime } from "./hook.js";
export { defaultCurrency, formatMoney, statusClass, statusLabel, toCents } from "./format.js";
