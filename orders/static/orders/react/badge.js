/**
 * OrderStatusBadge: one order's status, live from `order:updated`,
 * `order:status_changed` and `order:deleted` for that order.
 * @module orders/react/badge
 */

import { createElement, useEffect, useState } from "react";
import { statusClass, statusLabel, useRealtime } from "@omni-sales/realtime/react";

/**
 * @param {{orderId: number|string, status?: string, socket?: import("@omni-sales/realtime").RealtimeSocket}} props
 */
export function OrderStatusBadge({ orderId, status: initial = "pending", socket }) {
  const { on, state } = useRealtime({ namespaces: ["orders"], socket });
  const [status, setStatus] = useState(initial);
  const id = Number(orderId);

  useEffect(() => {
    const follow = (data) => {
      if (data?.id === id && typeof data.status === "string") setStatus(data.status);
    };
    const offs = [
      on("order:updated", follow),
      on("order:status_changed", follow),
      on("order:deleted", (data) => data?.id === id && setStatus("deleted")),
    ];
    return () => offs.forEach((off) => off());
  }, [on, id]);

  return createElement("span", {
    className: `rt-badge rt-badge--${statusClass(status)}`,
    "data-order-id": id,
    "data-status": status,
    "data-state": state,
  }, statusLabel(status));
}
