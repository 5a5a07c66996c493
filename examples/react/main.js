// The React example: one RealtimeProvider (one socket), the hook and the three components.
import { createElement as h, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { sessionToken } from "@omni-sales/realtime";
import { RealtimeProvider, useRealtime } from "@omni-sales/realtime/react";
import { LiveCustomerCount, LiveSalesTicker, OrderStatusBadge } from "@omni-sales/orders-react";


/** The connection's state and a badge for the newest order, from the hook itself. */
function Latest() {
  const { state, on } = useRealtime({ namespaces: ["orders"] });
  const [latest, setLatest] = useState(/** @type {{id: number, status: string}|null} */ (null));
  useEffect(() => on("order:created", (order) => setLatest({ id: order.id, status: order.status })),
    [on]);
  return h("p", { id: "latest" },
    "Connection: ", h("strong", { id: "state", "data-state": state }, state),
    latest ? h("span", null, ` · newest order #${latest.id} `,
      h(OrderStatusBadge, { key: latest.id, orderId: latest.id, status: latest.status })) : null);
}

function App() {
  return h(RealtimeProvider, { token: sessionToken, options: { maxAttempts: Infinity } },
    h(Latest),
    h("h2", null, "Customers"), h(LiveCustomerCount, { presenceUrl: "/api/ws/presence" }),
    h("h2", null, "Sales since this page opened"), h(LiveSalesTicker, { maxItems: 8 }));
}

const root = document.getElementById("root");
if (root) createRoot(root).render(h(App));
