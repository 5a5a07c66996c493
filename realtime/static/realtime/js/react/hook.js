/**
 * useRealtime and RealtimeProvider: a RealtimeSocket in React's lifecycle.
 *
 * One socket per page is the rule (each socket is a connection the server counts), so
 * components under a RealtimeProvider share its socket; a hook outside any provider opens
 * its own and closes it on unmount. Subscriptions are counted per socket: a namespace is
 * unsubscribed when the last component that asked for it goes away.
 * @module realtime/react/hook
 */

import { createContext, createElement, useCallback, useContext, useEffect, useRef,
  useState } from "react";
import { RealtimeSocket } from "../socket.js";

const SocketContext = createContext(null);
// socket → namespace → how many holders asked for it
const holders = new WeakMap();

/**
 * Holds a subscription to `namespace` on `socket` until the returned release is called.
 * @param {RealtimeSocket} socket
 * @param {string} namespace
 * @returns {() => void} release (idempotent)
 */
export function acquire(socket, namespace) {
  let counts = holders.get(socket);
  if (!counts) holders.set(socket, (counts = new Map()));
  const count = counts.get(namespace) ?? 0;
  counts.set(namespace, count + 1);
  if (count === 0) socket.subscribe(namespace);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = counts.get(namespace) - 1;
    if (left > 0) {
      counts.set(namespace, left);
    } else {
      counts.delete(namespace);
      socket.unsubscribe(namespace);
    }
  };
}

/**
 * The multiplexed endpoint of the page's own server: ws(s)://<host>/api/ws.
 * @param {{protocol: string, host: string}} [location]
 * @returns {string}
 */
export function defaultUrl(location = globalThis.location) {
  const scheme = location?.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location?.host ?? "127.0.0.1:8000"}/api/ws`;
}

const tokenOf = async (token) => (typeof token === "function" ? token() : token ?? null);

/**
 * @param {{namespaces?: string[], autoConnect?: boolean,
 *   token?: string|null|(() => string|null|Promise<string|null>), url?: string,
 *   socket?: RealtimeSocket, options?: object}} [config]
 * @returns {{state: string, on: (type: string, handler: Function) => () => void,
 *   subscribe: (namespace: string) => () => void, socket: RealtimeSocket}}
 */
export function useRealtime({ namespaces = [], autoConnect = true, token = null, url, socket: given,
  options } = {}) {
  const shared = useContext(SocketContext);
  // The latest token (a prop may change): read at every connect, not captured once.
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const [own] = useState(() => (given || shared ? null : new RealtimeSocket(url ?? defaultUrl(),
    { ...options, token: () => tokenOf(tokenRef.current) })));
  const socket = given ?? shared ?? own;

  const [state, setState] = useState(socket.state);
  useEffect(() => {
    setState(socket.state);
    return socket.onState((next) => setState(next));
  }, [socket]);

  const key = namespaces.join("\n");
  useEffect(() => {
    const releases = key ? key.split("\n").map((ns) => acquire(socket, ns)) : [];
    return () => releases.forEach((release) => release());
  }, [socket, key]);

  // A socket the hook opened is its to close; a shared one only loses this hook's holds.
  useEffect(() => {
    if (!own) return undefined;
    if (autoConnect) own.connect();
    return () => own.disconnect();
  }, [own, autoConnect]);

  // What on()/subscribe() handed out and the caller did not clean up, released on unmount.
  const pending = useRef(new Set());
  useEffect(() => () => {
    for (const cleanup of [...pending.current]) cleanup();
  }, [socket]);
  const track = useCallback((undo) => {
    const cleanup = () => {
      if (!pending.current.delete(cleanup)) return;
      undo();
    };
    pending.current.add(cleanup);
    return cleanup;
  }, []);

  const on = useCallback((type, handler) => track(socket.on(type, handler)), [socket, track]);
  const subscribe = useCallback((namespace) => track(acquire(socket, namespace)),
    [socket, track]);
  return { state, on, subscribe, socket };
}

/**
 * Gives its children one socket: `socket` if given, else its own (from `url`, `token`,
 * `options`), connected while the provider is mounted when `autoConnect`.
 * @param {{socket?: RealtimeSocket, url?: string, token?: any, autoConnect?: boolean,
 *   options?: object, children?: any}} props
 */
export function RealtimeProvider({ children, ...config }) {
  const { socket } = useRealtime(config);
  return createElement(SocketContext.Provider, { value: socket }, children);
}
