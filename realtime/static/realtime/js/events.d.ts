/**
 * Event payloads by event type and event types by namespace (docs/protocol.md, "Events").
 *
 * The catalogue is a registry the apps owning the data write into, and so are these
 * maps: realtime declares only its own namespace, `system`; every other app augments
 * `EventPayloads` and `NamespaceEvents` from its own `static/<app>/events.d.ts`
 * (`declare module "@omni-sales/realtime" { interface EventPayloads { ... } }`, see
 * docs/client.md, "Event types of your own"). tests/realtime/test_js_types.py keeps each
 * file equal to the namespaces its app registers and to the payloads the server builds.
 * Money is a decimal string ("149.90"); times are ISO 8601 UTC.
 */

export interface SystemPayload {
  title: string;
  message: string;
  level: "info" | "warning" | "critical" | string;
}

export interface SystemMaintenancePayload extends SystemPayload {
  startsAt: string | null;
  endsAt: string | null;
}

/** The payload of every event type; each app that registers a namespace adds its own. */
export interface EventPayloads {
  "system:notification": SystemPayload;
  "system:alert": SystemPayload;
  "system:maintenance": SystemMaintenancePayload;
}

/** The event types of every namespace (the name `subscribe` takes); augmented likewise. */
export interface NamespaceEvents {
  system: "system:notification" | "system:alert" | "system:maintenance";
}

/** What a client may report with an `activity` frame: action → the data sent with it.
 * Empty here: an app whose namespace takes client actions adds them (register(...,
 * client_actions=...)), as it adds its event types. */
export interface ActivityActions {}

export type Namespace = keyof NamespaceEvents;
export type EventType = keyof EventPayloads;
export type ActivityAction = keyof ActivityActions;
