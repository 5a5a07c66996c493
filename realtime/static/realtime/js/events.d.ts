/**
 * Event payloads by event type and event types by namespace (docs/protocol.md, "Events").
 *
 * Kept equal to the server's catalogue (realtime.events.catalogue()) and its payload
 * builders by tests/realtime/test_js_types.py: every namespace, every type and every
 * payload field declared here is one the server sends, and none it sends is missing.
 * Money is a decimal string ("149.90"); times are ISO 8601 UTC.
 */

export interface OrderPayload {
  id: number;
  customerId: number;
  customerName: string;
  total: string;
  status: string;
  channel: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrderStatusChangedPayload extends OrderPayload {
  previousStatus: string;
}

export interface CustomerPresencePayload {
  customerId: number;
  customerName: string;
}

export interface CustomerActivityPayload extends CustomerPresencePayload {
  action: "viewing_product" | "added_to_cart" | "activity";
  productId: number | null;
  quantity: number | null;
}

export interface ProductPayload {
  id: number;
  sku: string;
  name: string;
  price: string;
  isActive: boolean;
}

export interface ProductPriceChangedPayload extends ProductPayload {
  previousPrice: string;
}

export interface InventoryPayload {
  productId: number;
  sku: string;
  name: string;
  quantity: number;
  previousQuantity: number | null;
  threshold: number;
}

export interface PaymentPayload {
  id: number;
  orderId: number;
  customerId: number;
  amount: string;
  method: string;
  status: string;
}

export interface PaymentFailedPayload extends PaymentPayload {
  reason: string;
}

export interface SystemPayload {
  title: string;
  message: string;
  level: "info" | "warning" | "critical" | string;
}

export interface SystemMaintenancePayload extends SystemPayload {
  startsAt: string | null;
  endsAt: string | null;
}

/** The payload of every event type. */
export interface EventPayloads {
  "order:created": OrderPayload;
  "order:updated": OrderPayload;
  "order:status_changed": OrderStatusChangedPayload;
  "order:deleted": OrderPayload;
  "customer:activity": CustomerActivityPayload;
  "customer:viewing_product": CustomerActivityPayload;
  "customer:added_to_cart": CustomerActivityPayload;
  "customer:online": CustomerPresencePayload;
  "customer:offline": CustomerPresencePayload;
  "product:created": ProductPayload;
  "product:updated": ProductPayload;
  "product:price_changed": ProductPriceChangedPayload;
  "product:deleted": ProductPayload;
  "inventory:updated": InventoryPayload;
  "inventory:low_stock": InventoryPayload;
  "inventory:out_of_stock": InventoryPayload;
  "inventory:restocked": InventoryPayload;
  "payment:received": PaymentPayload;
  "payment:failed": PaymentFailedPayload;
  "payment:refunded": PaymentPayload;
  "system:notification": SystemPayload;
  "system:alert": SystemPayload;
  "system:maintenance": SystemMaintenancePayload;
}

/** The event types of every namespace (the name `subscribe` takes). */
export interface NamespaceEvents {
  orders: "order:created" | "order:updated" | "order:status_changed" | "order:deleted";
  customers: "customer:activity" | "customer:viewing_product" | "customer:added_to_cart"
    | "customer:online" | "customer:offline";
  products: "product:created" | "product:updated" | "product:price_changed" | "product:deleted";
  inventory: "inventory:updated" | "inventory:low_stock" | "inventory:out_of_stock"
    | "inventory:restocked";
  payments: "payment:received" | "payment:failed" | "payment:refunded";
  system: "system:notification" | "system:alert" | "system:maintenance";
}

export type Namespace = keyof NamespaceEvents;
export type EventType = keyof EventPayloads;
