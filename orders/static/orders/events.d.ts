/**
 * The orders app's event types: the namespaces orders/realtime.py registers (orders,
 * customers, payments), their payloads, and the augmentation that adds them to
 * @omni-sales/realtime's `EventPayloads` and `NamespaceEvents`, and customers' client
 * actions to `ActivityActions` (docs/client.md).
 *
 * Kept equal to the catalogue and to orders' payload builders by
 * tests/realtime/test_js_types.py. Money is a decimal string ("149.90"); times are
 * ISO 8601 UTC.
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

/** What a customer's client reports with `socket.activity(action, data)`. */
export interface CustomerActivityData {
  productId?: number;
  quantity?: number;
}

declare module "@omni-sales/realtime" {
  interface EventPayloads {
    "order:created": OrderPayload;
    "order:updated": OrderPayload;
    "order:status_changed": OrderStatusChangedPayload;
    "order:deleted": OrderPayload;
    "customer:activity": CustomerActivityPayload;
    "customer:viewing_product": CustomerActivityPayload;
    "customer:added_to_cart": CustomerActivityPayload;
    "customer:online": CustomerPresencePayload;
    "customer:offline": CustomerPresencePayload;
    "payment:received": PaymentPayload;
    "payment:failed": PaymentFailedPayload;
    "payment:refunded": PaymentPayload;
  }

  interface NamespaceEvents {
    orders: "order:created" | "order:updated" | "order:status_changed" | "order:deleted";
    customers: "customer:activity" | "customer:viewing_product" | "customer:added_to_cart"
      | "customer:online" | "customer:offline";
    payments: "payment:received" | "payment:failed" | "payment:refunded";
  }

  interface ActivityActions {
    viewing_product: CustomerActivityData;
    added_to_cart: CustomerActivityData;
    activity: CustomerActivityData;
  }
}
