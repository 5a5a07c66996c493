/**
 * Names and codes of the realtime protocol (docs/protocol.md, version 1).
 *
 * ERROR_CODES, AUTH_FAILURES, CLOSE_CODES and shouldReconnect mirror realtime/protocol.py;
 * tests/realtime/test_js_constants.py keeps the two equal.
 * @module realtime/constants
 */

export const PROTOCOL_VERSION = 1;

/** Frame types: client → server, then server → client. */
export const FRAME_TYPES = Object.freeze({
  AUTH: "auth",
  SUBSCRIBE: "subscribe",
  UNSUBSCRIBE: "unsubscribe",
  PING: "ping",
  PONG: "pong",
  ACTIVITY: "activity",
  CONNECTED: "connected",
  AUTHENTICATED: "authenticated",
  SUBSCRIBED: "subscribed",
  UNSUBSCRIBED: "unsubscribed",
  BATCH: "batch",
  RESET: "reset",
  ERROR: "error",
});

/** `data.code` of an `error` frame (realtime.protocol.ErrorCode). */
export const ERROR_CODES = Object.freeze({
  BAD_JSON: "bad_json",
  BAD_MESSAGE: "bad_message",
  UNKNOWN_TYPE: "unknown_type",
  UNKNOWN_NAMESPACE: "unknown_namespace",
  FORBIDDEN: "forbidden",
  AUTH_FAILED: "auth_failed",
  RATE_LIMITED: "rate_limited",
  TOO_LARGE: "too_large",
});

/** `data.reason` of an `auth_failed` error (realtime.protocol.AuthFailure). */
export const AUTH_FAILURES = Object.freeze({
  EXPIRED: "expired",
  REVOKED: "revoked",
  INVALID: "invalid",
});

/** Close codes the server uses (realtime.protocol.CloseCode). */
export const CLOSE_CODES = Object.freeze({
  GOING_AWAY: 1001,
  TOO_LARGE: 1009,
  HEARTBEAT_TIMEOUT: 4000,
  SCOPE_CHANGED: 4001,
  POLICY: 4008,
  MESSAGE_TOO_LARGE: 4009,
  TRY_AGAIN_LATER: 4013,
  SESSION_ENDED: 4500,
  ORIGIN_REFUSED: 4503,
});

/** States of a RealtimeSocket; each is also the name of the event emitted on entering it. */
export const SOCKET_STATES = Object.freeze({
  CONNECTING: "connecting",
  OPEN: "open",
  CLOSED: "closed",
  RECONNECTING: "reconnecting",
  FAILED: "failed",
});

/** Application codes: [first, last] inclusive. 4000–4499 reconnect, 4500–4999 stop. */
export const RECONNECT_RANGE = Object.freeze([4000, 4499]);
export const TERMINAL_RANGE = Object.freeze([4500, 4999]);
/** Standard codes after which a client reconnects. */
export const RECONNECT_STANDARD = Object.freeze([1000, 1001, 1006, 1008, 1009, 1011, 1012, 1013]);
/**
 * Codes that ask for a long backoff: rate limit (4008) and server full (4013), and the
 * standard codes a proxy may send for them (1008 ≡ 4008, 1013 ≡ 4013).
 */
export const LONG_BACKOFF_CODES = Object.freeze([1008, 1013, 4008, 4013]);

const inRange = (code, [first, last]) => code >= first && code <= last;

/**
 * Whether a close with this code calls for reconnecting (with backoff).
 * Decided by range, never by the reason string.
 * @param {number} code - CloseEvent.code
 * @returns {boolean}
 */
export function shouldReconnect(code) {
  if (inRange(code, TERMINAL_RANGE)) return false;
  return inRange(code, RECONNECT_RANGE) || RECONNECT_STANDARD.includes(code);
}

/**
 * Whether the reconnect after this close code waits a long backoff.
 * @param {number} code
 * @returns {boolean}
 */
export function needsLongBackoff(code) {
  return LONG_BACKOFF_CODES.includes(code);
}
