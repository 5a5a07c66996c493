/** @omni-sales/orders-react: the demo's live components (orders, customers). */

import type { ReactElement } from "react";
import type { RealtimeSocket } from "@omni-sales/realtime";
// The orders app's event types, and with them its augmentation of @omni-sales/realtime's
// EventPayloads and NamespaceEvents: a socket's on("order:created") is typed for
// whoever imports this package.
import type { OrderPayload } from "../events.js";
export type * from "../events.js";

export interface OrderStatusBadgeProps {
  orderId: number | string;
  status?: string;
  socket?: RealtimeSocket;
}
export declare function OrderStatusBadge(props: OrderStatusBadgeProps): ReactElement;

export interface LiveCustomerCountProps {
  online?: { id: number; name: string }[];
  /** GET /api/ws/presence: re-read on every open. */
  presenceUrl?: string;
  fetch?: typeof fetch;
  label?: string;
  socket?: RealtimeSocket;
}
export declare function LiveCustomerCount(props: LiveCustomerCountProps): ReactElement;

export interface LiveSalesTickerProps {
  orders?: OrderPayload[];
  /** Decimal string, the revenue `orders` add up to. */
  revenue?: string;
  maxItems?: number;
  /** ISO 4217; default the page's (meta name="currency"), else "USD". */
  currency?: string;
  locale?: string;
  socket?: RealtimeSocket;
}
export declare function LiveSalesTicker(props: LiveSalesTickerProps): ReactElement;

export declare const NOT_REVENUE: readonly string[];
export declare function applyPresence(online: Map<number, string>, type: string,
  data: { customerId?: number; customerName?: string }): Map<number, string>;
export interface TickerState { orders: OrderPayload[]; cents: number; known: Map<number, number>; max: number }
export declare function tick(state: TickerState, event: { type: string; order: OrderPayload }): TickerState;
