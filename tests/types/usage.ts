// Compile-time tests of the declarations (`tsc -p tsconfig.json`): what must type-check
// does, and each `@ts-expect-error` fails the build if the declarations stop refusing it.
import { CLOSE_CODES, RealtimeSocket, shouldReconnect } from "@omni-sales/realtime";
import type { EventFrame, EventPayloads, ServerFrame } from "@omni-sales/realtime";
import { useRealtime } from "@omni-sales/realtime/react";
import { LiveSalesTicker, OrderStatusBadge } from "@omni-sales/orders-react";

const socket = new RealtimeSocket("ws://127.0.0.1:8000/api/ws", { token: async () => "t", maxAttempts: Infinity });
socket.subscribe("orders", { since: 42 });

const off: () => void = socket.on("order:status_changed", (data, frame) => {
  const previous: string = data.previousStatus;
  const id: number = frame.id;
  void previous, id;
});
socket.on("orders:*", (data) => {
  const total: string = data.total;
  // @ts-expect-error: products' fields are not on an order
  void data.sku;
  void total;
});
socket.on("closed", (info) => {
  const again: boolean = info.willReconnect && shouldReconnect(info.code);
  void again;
});
socket.on("error", (data) => {
  if (data.code === "rate_limited") void (data.retryAfter ?? 0);
  // @ts-expect-error: not an error code of the protocol
  if (data.code === "teapot") void 0;
});
socket.on("product:price_changed", (data) => {
  const previous: string = data.previousPrice;
  // @ts-expect-error: a product's payload has no stock level
  void data.quantity;
  void previous;
});
socket.on("inventory:*", (data) => void (data.previousQuantity ?? data.quantity));
// @ts-expect-error: no app registers the namespace, so it has no event types
socket.on("tickets:*", () => undefined);
// @ts-expect-error: a payment payload has no total
socket.on("payment:received", (data) => data.total);
socket.activity("added_to_cart", { productId: 7, quantity: 2 });
// @ts-expect-error: activity takes one of the three actions
socket.activity("dancing");
// @ts-expect-error: a customer's activity carries a product, not an order
socket.activity("viewing_product", { orderId: 7 });
off();

const code: 4500 = CLOSE_CODES.SESSION_ENDED;
const maintenance: EventPayloads["system:maintenance"] = {
  title: "Upgrade", message: "at 02:00", level: "warning", startsAt: null, endsAt: null,
};
const frame: ServerFrame = { type: "batch", data: [] as EventFrame[] };
void code, maintenance, frame;

function Widget() {
  const { state, on, subscribe } = useRealtime({ namespaces: ["orders"], token: () => null });
  const cleanup: () => void = on("customer:online", (data) => void data.customerName);
  const release: () => void = subscribe("payments");
  cleanup();
  release();
  // @ts-expect-error: not a socket state
  if (state === "half-open") void 0;
  return OrderStatusBadge({ orderId: 1, status: "pending" });
}
void Widget;
void LiveSalesTicker({ revenue: "10.00", currency: "EUR" });
// @ts-expect-error: the badge needs an order id
void OrderStatusBadge({ status: "pending" });
