/** Names and codes of the realtime protocol (constants.js; docs/protocol.md v1). */

export declare const PROTOCOL_VERSION: 1;

export declare const FRAME_TYPES: Readonly<{
  AUTH: "auth";
  SUBSCRIBE: "subscribe";
  UNSUBSCRIBE: "unsubscribe";
  PING: "ping";
  PONG: "pong";
  ACTIVITY: "activity";
  CONNECTED: "connected";
  AUTHENTICATED: "authenticated";
  SUBSCRIBED: "subscribed";
  UNSUBSCRIBED: "unsubscribed";
  BATCH: "batch";
  RESET: "reset";
  ERROR: "error";
}>;

export declare const ERROR_CODES: Readonly<{
  BAD_JSON: "bad_json";
  BAD_MESSAGE: "bad_message";
  UNKNOWN_TYPE: "unknown_type";
  UNKNOWN_NAMESPACE: "unknown_namespace";
  FORBIDDEN: "forbidden";
  AUTH_FAILED: "auth_failed";
  RATE_LIMITED: "rate_limited";
  TOO_LARGE: "too_large";
}>;
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export declare const AUTH_FAILURES: Readonly<{
  EXPIRED: "expired";
  REVOKED: "revoked";
  INVALID: "invalid";
}>;
export type AuthFailure = (typeof AUTH_FAILURES)[keyof typeof AUTH_FAILURES];

/** Close codes the server sends (docs/protocol.md, "Close codes"). */
export declare const CLOSE_CODES: Readonly<{
  GOING_AWAY: 1001;
  TOO_LARGE: 1009;
  HEARTBEAT_TIMEOUT: 4000;
  SCOPE_CHANGED: 4001;
  POLICY: 4008;
  MESSAGE_TOO_LARGE: 4009;
  TRY_AGAIN_LATER: 4013;
  SESSION_ENDED: 4500;
  ORIGIN_REFUSED: 4503;
}>;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

export declare const SOCKET_STATES: Readonly<{
  CONNECTING: "connecting";
  OPEN: "open";
  CLOSED: "closed";
  RECONNECTING: "reconnecting";
  FAILED: "failed";
}>;
export type SocketState = (typeof SOCKET_STATES)[keyof typeof SOCKET_STATES];

/** 4000–4499: reconnect with backoff. */
export declare const RECONNECT_RANGE: readonly [4000, 4499];
/** 4500–4999: do not reconnect on your own. */
export declare const TERMINAL_RANGE: readonly [4500, 4999];
export declare const RECONNECT_STANDARD: readonly number[];
export declare const LONG_BACKOFF_CODES: readonly number[];

/** Whether a close with this code calls for reconnecting (decided by range, never by reason). */
export declare function shouldReconnect(code: number): boolean;
/** Whether the reconnect after this close waits a long backoff (4008, 4013, 1008, 1013). */
export declare function needsLongBackoff(code: number): boolean;
