/**
 * LiveCustomerCount: customers online now, from `customer:online` / `customer:offline`
 * (any other `customer:*` activity also shows its customer is here). Presence is not
 * replayed on resume, so with `presenceUrl` (GET /api/ws/presence) the count is re-read
 * every time the socket opens.
 * @module orders/react/customers
 */

import { createElement, useEffect, useState } from "react";
import { useRealtime } from "@omni-sales/realtime/react";

/**
 * Applies one `customer:*` event to id → name; returns the same map when nothing changed.
 * @param {Map<number, string>} online
 * @param {string} type
 * @param {{customerId?: number, customerName?: string}} data
 * @returns {Map<number, string>}
 */
export function applyPresence(online, type, data) {
  const id = data?.customerId;
  if (id === undefined || id === null) return online;
  if (type === "customer:offline") {
    if (!online.has(id)) return online;
    const next = new Map(online);
    next.delete(id);
    return next;
  }
  if (online.has(id)) return online;
  return new Map(online).set(id, data.customerName || `Customer #${id}`);
}

/**
 * @param {{online?: {id: number, name: string}[], presenceUrl?: string,
 *   fetch?: typeof fetch, label?: string, socket?: import("@omni-sales/realtime").RealtimeSocket}} props
 */
export function LiveCustomerCount({ online: initial = [], presenceUrl, fetch: fetchFn, label = "online",
  socket }) {
  const { on } = useRealtime({ namespaces: ["customers"], socket });
  const [online, setOnline] = useState(() => new Map(initial.map((c) => [c.id, c.name])));

  useEffect(() => on("customers:*", (data, frame) =>
    setOnline((current) => applyPresence(current, frame.type, data))), [on]);

  useEffect(() => {
    if (!presenceUrl) return undefined;
    const get = fetchFn ?? ((...args) => globalThis.fetch(...args));
    return on("open", async () => {
      try {
        const response = await get(presenceUrl, { credentials: "same-origin",
          headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const { customerIds } = await response.json();
        if (!Array.isArray(customerIds)) return;
        setOnline((current) => new Map(customerIds.map((id) =>
          [id, current.get(id) ?? `Customer #${id}`])));
      } catch {
        // The next open or presence event corrects it.
      }
    });
  }, [on, presenceUrl, fetchFn]);

  return createElement("span", { className: "rt-live-count", "data-count": online.size },
    createElement("strong", { className: "rt-live-count__n" }, String(online.size)),
    ` ${label}`,
    createElement("ul", { className: "rt-live-count__who" },
      [...online].map(([id, name]) => createElement("li", { key: id, "data-customer-id": id },
        name))));
}
