/**
 * The connection indicator: the page socket's state, with a retry button once it
 * has given up. Markup: `{% connection_indicator %}`.
 * @module realtime/widgets/connection
 */

import { CONNECTION_LABELS } from "./format.js";
import { part } from "./dom.js";

/**
 * The state to show: a close that will be followed by a reconnect already reads
 * "reconnecting", and before the first connect() the socket is about to connect.
 * @param {string} state
 * @param {{willReconnect?: boolean}} [info]
 * @returns {string}
 */
export function shownState(state, info = {}) {
  if (state === "closed" && info?.willReconnect) return "reconnecting";
  return state;
}

/**
 * Keeps `node`'s `data-state` and `title` on the socket's state.
 * @param {HTMLElement} node
 * @param {object} socket - a RealtimeSocket
 * @param {(state: string) => void} [render] - also called on every change
 * @returns {() => void} stops following
 */
export function followState(node, socket, render) {
  const show = (state) => {
    node.setAttribute("data-state", state);
    node.setAttribute("title", CONNECTION_LABELS[state] ?? state);
    render?.(state);
  };
  show(socket.state === "closed" ? "connecting" : socket.state);
  return socket.onState((state, info) => show(shownState(state, info)));
}

/** @param {HTMLElement} root @param {import("./page.js").Page} page */
export function mountConnection(root, page) {
  const label = part(root, "label");
  const retry = part(root, "retry");
  const off = followState(root, page.socket, (state) => {
    if (label) label.textContent = CONNECTION_LABELS[state] ?? state;
    if (retry) retry.hidden = !(state === "failed" || state === "closed");
  });
  const onRetry = () => page.socket.connect();
  retry?.addEventListener("click", onRetry);
  return () => {
    off();
    retry?.removeEventListener("click", onRetry);
  };
}
