/**
 * RealtimeSocket: the browser client of the realtime protocol (docs/protocol.md v1).
 * @module realtime/socket
 */

import {
  AUTH_FAILURES,
  CLOSE_CODES,
  ERROR_CODES,
  FRAME_TYPES as T,
  PROTOCOL_VERSION,
  SOCKET_STATES as S,
  needsLongBackoff,
  shouldReconnect,
} from "./constants.js";
import { DEFAULT_BACKOFF, LONG_BACKOFF, Timer, exponentialBackoff } from "./timer.js";

const WS_OPEN = 1;
// Used when the `connected` frame has no heartbeat: the server's defaults (30 s + 5 s).
const FALLBACK_HEARTBEAT_MS = 35_000;
// Close code reported (not sent) when the transport failed without a close frame.
const ABNORMAL = 1006;

/** Server frames handled by the socket itself before listeners see them. */
const HANDLERS = {
  [T.CONNECTED]: "_onConnected",
  [T.AUTHENTICATED]: "_onAuthenticated",
  [T.SUBSCRIBED]: "_onSubscribed",
  [T.PING]: "_onPing",
  [T.BATCH]: "_onBatch",
  [T.RESET]: "_onReset",
  [T.ERROR]: "_onError",
};

/**
 * @typedef {object} RealtimeSocketOptions
 * @property {() => (string|null|Promise<string|null>)} [token] - called before every
 *   (re)connect; a token is sent as `auth` right after `connected`; null means no auth
 *   (the session cookie or guest). If it throws, the attempt counts as failed (code 1006).
 *   Called again, once per connection, when the server answers `auth_failed` with
 *   reason `expired`; the subscriptions are then sent again under the new identity.
 * @property {number} [maxAttempts=5] - reconnect attempts after a close before state
 *   "failed"; Infinity never gives up. A `connected` frame resets the count.
 * @property {(tries: number) => number} [backoff] - delay (ms) before reconnect try n
 *   (1-based); default full jitter, base 500 ms, cap 30 s.
 * @property {(tries: number) => number} [longBackoff] - the same after 4008 and 4013 (or 1008, 1013);
 *   default 15 s to 2 min.
 * @property {() => number} [random=Math.random] - jitter source of the default backoffs.
 * @property {typeof WebSocket} [WebSocket=globalThis.WebSocket] - transport constructor.
 * @property {(kind: string, msg: string, data?: any) => void} [logger] - no logging unless given.
 * @property {number} [bufferSize=50] - frames `send` keeps while disconnected (oldest dropped).
 * @property {number} [connectTimeout=10000] - ms to wait for `connected` after opening.
 * @property {number} [dedupeWindow=1000] - how many recent event ids are remembered.
 * @property {Function} [setTimeout] - scheduler, injectable for tests.
 * @property {Function} [clearTimeout]
 */

/**
 * A socket that authenticates, subscribes, resumes and reconnects on its own.
 *
 * States (SOCKET_STATES), each also an event for `on()` with an info object:
 * - "connecting": an attempt started `{attempt}`;
 * - "open": the `connected` frame arrived, auth and subscriptions were sent `{connection}`;
 * - "closed": the transport closed `{code, reason, wasClean, willReconnect}`; it stays
 *   closed after `disconnect()` or a terminal code (4500–4999, or a code outside the
 *   reconnect rule);
 * - "reconnecting": waiting `{attempt, delay, code}` before the next attempt;
 * - "failed": gave up after `maxAttempts` reconnect attempts `{attempts, code}`.
 *
 * A silent server (no frame within heartbeat interval + timeout of the `connected`
 * frame) is closed by the client and reported as "closed" with code 4000.
 */
export class RealtimeSocket {
  /**
   * @param {string} url - e.g. `wss://host/api/ws`
   * @param {RealtimeSocketOptions} [options]
   */
  constructor(url, options = {}) {
    this.url = url;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.bufferSize = options.bufferSize ?? 50;
    this.connectTimeout = options.connectTimeout ?? 10_000;
    this.dedupeWindow = options.dedupeWindow ?? 1000;
    /** Data of the last `connected` frame, updated by `authenticated`; null when not open. */
    this.connection = null;

    const random = options.random ?? Math.random;
    this._token = options.token ?? null;
    this._backoff = options.backoff ?? exponentialBackoff({ ...DEFAULT_BACKOFF, random });
    this._longBackoff = options.longBackoff ?? exponentialBackoff({ ...LONG_BACKOFF, random });
    this._WebSocket = options.WebSocket ?? globalThis.WebSocket;
    this._logger = options.logger ?? null;
    const set = options.setTimeout ?? globalThis.setTimeout;
    const clear = options.clearTimeout ?? globalThis.clearTimeout;
    this._setTimeout = (fn, ms) => set(fn, ms);
    this._clearTimeout = (id) => clear(id);

    this._reconnectTimer = new Timer(
      () => this._open(),
      (tries) => (needsLongBackoff(this._lastCloseCode) ? this._longBackoff : this._backoff)(tries),
      { setTimeout: set, clearTimeout: clear },
    );
    this._state = S.CLOSED;
    this._ws = null;
    this._pendingToken = null;
    this._tokenRefreshed = false;
    // Bumped by every attempt and by disconnect(): late work of an older one is dropped.
    this._generation = 0;
    this._lastCloseCode = null;
    this._watchdog = null;
    this._heartbeatMs = null;
    this._listeners = new Map();
    this._stateListeners = new Set();
    // namespace → id of the newest event seen in it (null: none, subscribe without since)
    this._subscriptions = new Map();
    // id → namespace of recent events, oldest first (Map keeps insertion order)
    this._seen = new Map();
    this._buffer = [];
    this._ref = 0;
  }

  /** The current state, one of SOCKET_STATES. @returns {string} */
  get state() {
    return this._state;
  }

  /** Whether frames are written now rather than buffered. @returns {boolean} */
  get isOpen() {
    return this._state === S.OPEN && this._ws !== null && this._ws.readyState === WS_OPEN;
  }

  /**
   * Opens the socket (also from "closed", "reconnecting" or "failed": starts now with a
   * fresh attempt count). No-op while connecting or open.
   * @returns {this}
   */
  connect() {
    if (this._state === S.CONNECTING || this._state === S.OPEN) return this;
    this._reconnectTimer.reset();
    this._open();
    return this;
  }

  /**
   * Closes the socket and stops reconnecting; the send buffer is dropped, subscriptions
   * are kept (a later connect() resumes them).
   * @param {number} [code=1000]
   * @param {string} [reason=""]
   */
  disconnect(code = 1000, reason = "") {
    this._generation += 1;
    this._reconnectTimer.reset();
    this._buffer = [];
    this._dropTransport(code, reason);
    if (this._state !== S.CLOSED) {
      this._setState(S.CLOSED, { code, reason, wasClean: true, willReconnect: false });
    }
  }

  /**
   * Subscribes to a namespace now (if open) and after every reconnect, resuming with
   * `since` = the newest event id seen in it.
   *
   * `options.since` starts the subscription from a known event id instead of "now":
   * a page rendered with the event log's newest id at render time passes it, so events
   * committed between the render and the socket's `connected` are replayed, not lost.
   * @param {string} namespace - e.g. "orders"
   * @param {{since?: number|null}} [options]
   */
  subscribe(namespace, { since = null } = {}) {
    if (this._subscriptions.has(namespace)) return;
    const from = Number.isInteger(since) && since >= 0 ? since : null;
    this._subscriptions.set(namespace, from);
    if (this.isOpen) {
      this._write(T.SUBSCRIBE, from === null ? { namespace } : { namespace, since: from });
    }
  }

  /**
   * Stops a subscription and forgets its last event id.
   * @param {string} namespace
   */
  unsubscribe(namespace) {
    if (!this._subscriptions.delete(namespace)) return;
    if (this.isOpen) this._write(T.UNSUBSCRIBE, { namespace });
  }

  /** Namespaces subscribed to, with the last event id of each. @returns {Map<string, number|null>} */
  get subscriptions() {
    return new Map(this._subscriptions);
  }

  /**
   * Listens to frames or state changes. `type` is one of:
   * - an event type, e.g. "order:created";
   * - a namespace wildcard "<namespace>:*" (the frame's `namespace` field, the name used
   *   by `subscribe`), e.g. "orders:*" for every order event;
   * - "*" for every event (not control frames);
   * - a control frame: "connected", "authenticated", "subscribed", "unsubscribed",
   *   "error" (a protocol `error` frame), "reset", "ping", "pong";
   * - a state: "connecting", "open", "closed", "reconnecting", "failed".
   * Frames call `fn(data, frame)`; states call `fn(info)`. Duplicate events are not seen.
   * @param {string} type
   * @param {Function} fn
   * @returns {() => void} removes this listener
   */
  on(type, fn) {
    let set = this._listeners.get(type);
    if (!set) this._listeners.set(type, (set = new Set()));
    const entry = { fn };
    set.add(entry);
    return () => set.delete(entry);
  }

  /**
   * Listens to every state change.
   * @param {(state: string, info: object) => void} fn
   * @returns {() => void} removes this listener
   */
  onState(fn) {
    const entry = { fn };
    this._stateListeners.add(entry);
    return () => this._stateListeners.delete(entry);
  }

  /**
   * Sends a frame now, or keeps it until the socket is open (at most `bufferSize`
   * frames, the oldest dropped first).
   * @param {string} type
   * @param {object} [data={}]
   * @returns {string} the frame's `ref`, echoed by an `error` reply
   */
  send(type, data = {}) {
    const ref = this._nextRef();
    if (this.isOpen) {
      this._writeFrame({ type, data, ref });
      return ref;
    }
    this._buffer.push({ type, data, ref });
    if (this._buffer.length > this.bufferSize) {
      const dropped = this._buffer.shift();
      this._log("buffer", "send buffer full, dropped the oldest frame", dropped);
    }
    return ref;
  }

  /**
   * Reports client activity: an action some namespace declares as a client action (its
   * `client_actions`), sent by that namespace's owners; becomes a `<prefix>:<action>` event.
   * @param {string} action
   * @param {object} [data] the action's fields (the app's ActivityActions)
   * @returns {string} the frame's ref
   */
  activity(action, data = {}) {
    return this.send(T.ACTIVITY, { ...data, action });
  }

  // Connection lifecycle

  async _open() {
    const generation = ++this._generation;
    this._setState(S.CONNECTING, { attempt: this._reconnectTimer.tries });
    if (generation !== this._generation) return; // a listener called disconnect()
    let token = null;
    if (this._token) {
      try {
        token = await this._token();
      } catch (error) {
        if (generation !== this._generation) return;
        this._log("token", "token() failed", error);
        this._onClose({ code: ABNORMAL, reason: "token unavailable", wasClean: false });
        return;
      }
      if (generation !== this._generation) return;
    }
    let ws;
    try {
      ws = new this._WebSocket(this.url);
    } catch (error) {
      this._log("transport", "cannot create the WebSocket", error);
      this._setState(S.FAILED, { attempts: this._reconnectTimer.tries, error });
      return;
    }
    this._ws = ws;
    this._pendingToken = token;
    ws.onopen = () => this._log("transport", "open", this.url);
    ws.onerror = (event) => this._log("transport", "error", event);
    ws.onmessage = (event) => {
      if (ws === this._ws) this._onText(event.data);
    };
    ws.onclose = (event) => {
      if (ws === this._ws) {
        this._onClose({ code: event.code, reason: event.reason, wasClean: event.wasClean });
      }
    };
    this._arm(this.connectTimeout, ABNORMAL, "connect timeout");
  }

  _onClose({ code, reason = "", wasClean = false }) {
    const generation = this._generation;
    this._dropTransport(1000, reason);
    this._lastCloseCode = code;
    const tries = this._reconnectTimer.tries;
    const reconnect = shouldReconnect(code);
    const willReconnect = reconnect && tries < this.maxAttempts;
    this._log("transport", "closed", { code, reason, willReconnect });
    this._setState(S.CLOSED, { code, reason, wasClean, willReconnect });
    // A listener may have called connect() or disconnect(): theirs is the last word.
    if (generation !== this._generation || !reconnect) return;
    if (!willReconnect) {
      this._setState(S.FAILED, { attempts: tries, code });
      return;
    }
    const delay = this._reconnectTimer.scheduleTimeout();
    this._setState(S.RECONNECTING, { attempt: tries + 1, delay, code });
  }

  /** Forgets the current transport (its late events are ignored) and closes it. */
  _dropTransport(code = 1000, reason = "") {
    this._disarm();
    this._heartbeatMs = null;
    this._pendingToken = null;
    this.connection = null;
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState <= WS_OPEN) {
      try {
        ws.close(code, reason);
      } catch (error) {
        this._log("transport", "close failed", error);
      }
    }
  }

  /** No frame within `ms` → close the transport and treat it as closed with `code`. */
  _arm(ms, code, reason) {
    this._disarm();
    this._watchdog = this._setTimeout(() => {
      this._watchdog = null;
      this._log("transport", reason);
      this._onClose({ code, reason, wasClean: false });
    }, ms);
  }

  _disarm() {
    if (this._watchdog !== null) this._clearTimeout(this._watchdog);
    this._watchdog = null;
  }

  // Frames from the server

  _onText(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch (error) {
      this._log("receive", "frame is not JSON", text);
      return;
    }
    if (this._heartbeatMs !== null) {
      this._arm(this._heartbeatMs, CLOSE_CODES.HEARTBEAT_TIMEOUT, "heartbeat timeout");
    }
    this._onFrame(frame);
  }

  _onFrame(frame) {
    if (frame === null || typeof frame !== "object" || typeof frame.type !== "string") {
      this._log("receive", "frame without a type", frame);
      return;
    }
    this._log("receive", frame.type, frame);
    const handler = HANDLERS[frame.type];
    if (handler) {
      this[handler](frame);
    } else if (frame.type.includes(":")) {
      this._onEvent(frame);
    } else {
      this._emit(frame.type, frame.data, frame);
    }
  }

  _onConnected(frame) {
    const data = frame.data ?? {};
    if (data.protocol !== PROTOCOL_VERSION) {
      this._log("protocol", `server speaks protocol ${data.protocol}`, PROTOCOL_VERSION);
    }
    const { interval, timeout } = data.heartbeat ?? {};
    this._heartbeatMs = Number.isFinite(interval) && Number.isFinite(timeout)
      ? interval + timeout
      : FALLBACK_HEARTBEAT_MS;
    this._arm(this._heartbeatMs, CLOSE_CODES.HEARTBEAT_TIMEOUT, "heartbeat timeout");
    this.connection = { ...data };
    this._reconnectTimer.reset();
    this._lastCloseCode = null;
    // The server serves a socket's frames in order: subscriptions follow auth's identity.
    if (this._pendingToken) this._write(T.AUTH, { token: this._pendingToken });
    this._pendingToken = null;
    this._tokenRefreshed = false;
    this._writeSubscriptions();
    const buffered = this._buffer;
    this._buffer = [];
    for (const queued of buffered) this._writeFrame(queued);
    this._setState(S.OPEN, { connection: this.connection });
    this._emit(frame.type, data, frame);
  }

  _writeSubscriptions() {
    for (const [namespace, since] of this._subscriptions) {
      this._write(T.SUBSCRIBE, since === null ? { namespace } : { namespace, since });
    }
  }

  _onError(frame) {
    const data = frame.data ?? {};
    if (data.code === ERROR_CODES.AUTH_FAILED && data.reason === AUTH_FAILURES.EXPIRED
        && this._token && !this._tokenRefreshed) {
      // Once per connection: a server that keeps saying "expired" is not asked forever.
      this._tokenRefreshed = true;
      this._refreshToken(this._ws);
    }
    this._emit(frame.type, frame.data, frame);
  }

  /** A new token for the open socket, then its subscriptions again under that identity
   * (resumed from the last event seen, so nothing is lost or repeated). */
  async _refreshToken(ws) {
    let token = null;
    try {
      token = await this._token();
    } catch (error) {
      this._log("token", "token() failed", error);
      return;
    }
    if (ws !== this._ws || !token || ws.readyState !== WS_OPEN) return;
    this._write(T.AUTH, { token });
    this._writeSubscriptions();
  }

  _onAuthenticated(frame) {
    if (this.connection) Object.assign(this.connection, frame.data);
    this._emit(frame.type, frame.data, frame);
  }

  _onSubscribed(frame) {
    const { namespace, lastEventId } = frame.data ?? {};
    // A fresh subscription resumes from the log's newest id at subscribe time; a resumed
    // one keeps its `since` until replayed events move it.
    if (this._subscriptions.get(namespace) === null && Number.isInteger(lastEventId)) {
      this._subscriptions.set(namespace, lastEventId);
    }
    this._emit(frame.type, frame.data, frame);
  }

  _onPing(frame) {
    if (this._ws && this._ws.readyState === WS_OPEN) {
      this._writeFrame({ type: T.PONG, data: frame.data ?? {} });
    }
    this._emit(frame.type, frame.data, frame);
  }

  _onBatch(frame) {
    if (!Array.isArray(frame.data)) {
      this._log("receive", "batch without a list", frame);
      return;
    }
    for (const item of frame.data) this._onFrame(item);
  }

  _onReset(frame) {
    const namespace = frame.data?.namespace;
    if (this._subscriptions.has(namespace)) this._subscriptions.set(namespace, null);
    // The ids seen there may belong to a log that no longer exists.
    for (const [id, ns] of this._seen) if (ns === namespace) this._seen.delete(id);
    this._emit(frame.type, frame.data, frame);
  }

  _onEvent(frame) {
    const { id, namespace } = frame;
    if (Number.isInteger(id)) {
      if (this._seen.has(id)) {
        this._log("receive", "duplicate event dropped", id);
        return;
      }
      this._seen.set(id, namespace);
      if (this._seen.size > this.dedupeWindow) this._seen.delete(this._seen.keys().next().value);
      const last = this._subscriptions.get(namespace);
      if (last !== undefined && (last === null || id > last)) {
        this._subscriptions.set(namespace, id);
      }
    }
    this._emit(frame.type, frame.data, frame);
    if (typeof namespace === "string") this._emit(`${namespace}:*`, frame.data, frame);
    this._emit("*", frame.data, frame);
  }

  // Output and listeners

  _nextRef() {
    this._ref += 1;
    return String(this._ref);
  }

  _write(type, data) {
    this._writeFrame({ type, data, ref: this._nextRef() });
  }

  _writeFrame(frame) {
    this._log("send", frame.type, frame);
    this._ws.send(JSON.stringify(frame));
  }

  _setState(state, info) {
    this._state = state;
    for (const { fn } of [...this._stateListeners]) this._call(fn, state, info);
    this._emit(state, info);
  }

  _emit(type, ...args) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const { fn } of [...set]) this._call(fn, ...args);
  }

  _call(fn, ...args) {
    try {
      fn(...args);
    } catch (error) {
      // One broken listener must not stop the socket or the other listeners.
      this._log("listener", "listener threw", error);
      if (typeof globalThis.reportError === "function") globalThis.reportError(error);
    }
  }

  _log(kind, msg, data) {
    if (this._logger) this._logger(kind, msg, data);
  }
}
