/** Every frame of the protocol, both directions (docs/protocol.md, "Frames"). */

import type { AuthFailure, ErrorCode } from "./constants.js";
import type {
  ActivityAction, ActivityActions, EventPayloads, EventType, Namespace,
} from "./events.js";

/** A frame's `ref`: echoed in the reply to that frame. */
export type Ref = string | number;

// Client → server

export interface AuthFrame { type: "auth"; data: { token: string }; ref?: Ref }
export interface SubscribeFrame {
  type: "subscribe"; data: { namespace: Namespace | string; since?: number }; ref?: Ref;
}
export interface UnsubscribeFrame { type: "unsubscribe"; data: { namespace: Namespace | string }; ref?: Ref }
export interface ClientPingFrame { type: "ping"; data: { ts?: number | string }; ref?: Ref }
export interface ClientPongFrame { type: "pong"; data: { ts?: number | string }; ref?: Ref }
/** An `activity` frame's data: one of the actions apps declare (ActivityActions), and its data. */
export type ActivityData<A extends ActivityAction = ActivityAction> = { action: A } & ActivityActions[A];
export interface ActivityFrame { type: "activity"; data: ActivityData; ref?: Ref }

export type ClientFrame = AuthFrame | SubscribeFrame | UnsubscribeFrame | ClientPingFrame
  | ClientPongFrame | ActivityFrame;

// Server → client

export interface ConnectedData {
  connectionId: string;
  role: string;
  userId: number | null;
  namespaces: string[];
  /** Milliseconds. */
  heartbeat: { interval: number; timeout: number };
  protocol: number;
}
export interface ConnectedFrame { type: "connected"; data: ConnectedData }

export interface AuthenticatedData { userId: number; role: string; namespaces: string[] }
export interface AuthenticatedFrame { type: "authenticated"; data: AuthenticatedData; ref?: Ref }

export interface SubscribedData { namespace: string; lastEventId: number; recovered: boolean }
export interface SubscribedFrame { type: "subscribed"; data: SubscribedData; ref?: Ref }

export interface UnsubscribedData { namespace: string }
export interface UnsubscribedFrame { type: "unsubscribed"; data: UnsubscribedData; ref?: Ref }

export interface ServerPingFrame { type: "ping"; data: { ts: number | string } }
export interface ServerPongFrame { type: "pong"; data: { ts?: number | string }; ref?: Ref }

export interface ResetData { namespace: string; reason: string }
export interface ResetFrame { type: "reset"; data: ResetData }

export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** Milliseconds, on `rate_limited`. */
  retryAfter?: number;
  /** On `auth_failed`. */
  reason?: AuthFailure;
}
export interface ErrorFrame { type: "error"; data: ErrorData; ref?: Ref }

/** An event: its payload in `data`, its log position in `id`. */
export interface EventFrame<T extends EventType = EventType> {
  type: T;
  /** Position in the event log: increasing, the `since` of a resume. */
  id: number;
  namespace: Namespace;
  /** ISO 8601 UTC. */
  ts: string;
  data: EventPayloads[T];
}

export interface BatchFrame { type: "batch"; data: EventFrame[] }

export type ServerFrame = ConnectedFrame | AuthenticatedFrame | SubscribedFrame
  | UnsubscribedFrame | ServerPingFrame | ServerPongFrame | ResetFrame | ErrorFrame
  | BatchFrame | EventFrame;

/** Control frames a listener may follow with `on(type, fn)`, and their data. */
export interface ControlData {
  connected: ConnectedData;
  authenticated: AuthenticatedData;
  subscribed: SubscribedData;
  unsubscribed: UnsubscribedData;
  reset: ResetData;
  error: ErrorData;
  ping: { ts: number | string };
  pong: { ts?: number | string };
}
