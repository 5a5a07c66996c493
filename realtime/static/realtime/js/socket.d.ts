/** RealtimeSocket (socket.js): authenticates, subscribes, resumes and reconnects on its own. */

import type { SocketState } from "./constants.js";
import type { ConnectedData, ControlData, EventFrame, ServerFrame } from "./frames.js";
import type {
  ActivityAction, ActivityActions, EventPayloads, EventType, Namespace, NamespaceEvents,
} from "./events.js";

export interface RealtimeSocketOptions {
  /** Called before every (re)connect, and once more per connection after `auth_failed`
   * `expired`; a token is sent as `auth` right after `connected`. null: the session
   * cookie or guest. A throw counts as a failed attempt (1006). */
  token?: () => string | null | Promise<string | null>;
  /** Reconnect attempts before "failed"; Infinity never gives up. Default 5. */
  maxAttempts?: number;
  /** Delay (ms) before reconnect try n (1-based); default full jitter, 0.5 s base, 30 s cap. */
  backoff?: (tries: number) => number;
  /** The same after 4008 and 4013 (or 1008, 1013); default 15 s – 2 min. */
  longBackoff?: (tries: number) => number;
  /** Jitter source of the default backoffs. */
  random?: () => number;
  /** Transport constructor; default globalThis.WebSocket. */
  WebSocket?: { new (url: string): WebSocket } | (new (url: string) => unknown);
  logger?: (kind: string, msg: string, data?: unknown) => void;
  /** Frames `send` keeps while disconnected (oldest dropped). Default 50. */
  bufferSize?: number;
  /** Milliseconds to wait for `connected` after opening. Default 10000. */
  connectTimeout?: number;
  /** How many recent event ids are remembered for de-duplication. Default 1000. */
  dedupeWindow?: number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (id: any) => void;
}

/** The info object of each state, as `on(state, fn)` and `onState` receive it. */
export interface StateInfo {
  connecting: { attempt: number };
  open: { connection: ConnectedData };
  closed: { code: number; reason: string; wasClean: boolean; willReconnect: boolean };
  reconnecting: { attempt: number; delay: number; code: number };
  failed: { attempts: number; code?: number; error?: unknown };
}

export type Unsubscribe = () => void;
export type EventListener<T extends EventType> =
  (data: EventPayloads[T], frame: EventFrame<T>) => void;

export declare class RealtimeSocket {
  constructor(url: string, options?: RealtimeSocketOptions);
  readonly url: string;
  maxAttempts: number;
  bufferSize: number;
  connectTimeout: number;
  dedupeWindow: number;
  /** Data of the last `connected` frame, updated by `authenticated`; null when not open. */
  connection: ConnectedData | null;
  readonly state: SocketState;
  /** Whether frames are written now rather than buffered. */
  readonly isOpen: boolean;
  /** Namespaces subscribed to, with the newest event id seen in each. */
  readonly subscriptions: Map<string, number | null>;

  connect(): this;
  disconnect(code?: number, reason?: string): void;
  subscribe(namespace: Namespace | string, options?: { since?: number | null }): void;
  unsubscribe(namespace: Namespace | string): void;

  on<T extends EventType>(type: T, fn: EventListener<T>): Unsubscribe;
  on<N extends Namespace>(type: `${N}:*`, fn: EventListener<NamespaceEvents[N]>): Unsubscribe;
  on(type: "*", fn: (data: EventPayloads[EventType], frame: EventFrame) => void): Unsubscribe;
  on<C extends keyof ControlData>(type: C,
    fn: (data: ControlData[C], frame: ServerFrame) => void): Unsubscribe;
  on<S extends SocketState>(type: S, fn: (info: StateInfo[S]) => void): Unsubscribe;

  onState(fn: <S extends SocketState>(state: S, info: StateInfo[S]) => void): Unsubscribe;
  /** Sends now, or buffers until open; returns the frame's `ref`. */
  send(type: string, data?: object): string;
  /** Reports an action an app declared (ActivityActions), with its data. */
  activity<A extends ActivityAction>(action: A, data?: ActivityActions[A]): string;
}
