/**
 * The page's entry module (loaded by `{% realtime_scripts %}`): one RealtimeSocket
 * for the page, identified by the session cookie, and every `[data-rt-widget]`
 * mounted on it, realtime's and those of the apps' widget modules.
 * @module realtime/widgets/boot
 */

import { RealtimeSocket } from "../js/index.js";
import { createPage } from "./page.js";
import { combine } from "./registry.js";

// Give up only after a long outage (several minutes of backoff); the indicator
// then offers a retry, and the tab retries by itself when it becomes visible again.
const MAX_ATTEMPTS = 12;

const configNode = document.getElementById("rt-config");
if (configNode) {
  const config = JSON.parse(configNode.textContent);
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new RealtimeSocket(`${scheme}//${location.host}${config.url}`,
    { maxAttempts: MAX_ATTEMPTS });
  // The apps' widget modules (config.modules, from their realtime.py), then every widget.
  const modules = await Promise.all((config.modules ?? []).map((url) => import(url)));
  const { widgets, toasts } = combine(modules);
  const page = createPage({ socket, config, document, registry: widgets, toasts });
  page.mountAll(document);
  const revive = () => {
    if (socket.state === "failed") socket.connect();
  };
  addEventListener("online", revive);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) revive();
  });
  socket.connect();
}
