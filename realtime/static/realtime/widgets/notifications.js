/**
 * Toasts and the maintenance banner: the apps' alerts (the toasts their widget modules
 * declare, e.g. the demo's stock alerts), `system:notification` / `system:alert` (also those addressed to this
 * user personally, which need no subscription), `system:maintenance` as a banner,
 * and a `reset` (missed updates that cannot be replayed) as a toast offering a reload.
 * Markup: `{% notifications %}`.
 * @module realtime/widgets/notifications
 */

import { h, part } from "./dom.js";
import { clock, statusClass } from "./format.js";

export const TOAST_MS = 6000;
export const MAX_TOASTS = 5;
const LEVELS = new Set(["info", "success", "warning", "error"]);

/**
 * A toast element.
 * @param {Document} doc
 * @param {{level?: string, title?: string, message?: string,
 *   action?: {label: string, run: () => void}}} toast
 * @param {() => void} close
 * @returns {HTMLElement}
 */
export function toastElement(doc, { level = "info", title = "", message = "", action }, close) {
  const safeLevel = LEVELS.has(level) ? level : "info";
  const button = (text, cls, run, label) => {
    const node = h(doc, "button", { className: cls, text, attrs: { type: "button", "aria-label": label } });
    node.addEventListener("click", run);
    return node;
  };
  return h(doc, "div", {
    className: `rt-toast rt-toast--${statusClass(safeLevel)}`,
    attrs: { role: safeLevel === "error" ? "alert" : "status" },
  }, [
    h(doc, "div", { className: "rt-toast__body" }, [
      title ? h(doc, "strong", { className: "rt-toast__title", text: title }) : null,
      message ? h(doc, "span", { className: "rt-toast__message", text: message }) : null,
    ]),
    action ? button(action.label, "rt-toast__action", action.run) : null,
    button("×", "rt-toast__close", close, "Dismiss"),
  ]);
}

/** @param {HTMLElement} root @param {import("./page.js").Page} page */
export function mountNotifications(root, page) {
  const doc = page.document;
  const toasts = part(root, "toasts");
  const banner = part(root, "banner");
  const timeZone = page.config.timeZone;

  const toast = (spec, { sticky = false } = {}) => {
    const node = toastElement(doc, spec, () => node.remove());
    toasts.append(node);
    while (toasts.children.length > MAX_TOASTS) toasts.firstElementChild.remove();
    if (!sticky) page.setTimeout(() => node.remove(), TOAST_MS);
    return node;
  };

  const showBanner = (data) => {
    part(banner, "banner-title").textContent = data.title || "Maintenance";
    part(banner, "banner-message").textContent = data.message || "";
    const window = [data.startsAt, data.endsAt].filter(Boolean).map((t) => clock(t, timeZone));
    part(banner, "banner-window").textContent = window.length ? `(${window.join("–")})` : "";
    banner.classList.remove("rt-banner--info", "rt-banner--warning", "rt-banner--error");
    banner.classList.add(`rt-banner--${LEVELS.has(data.level) ? data.level : "warning"}`);
    banner.hidden = false;
  };
  const closeBanner = () => {
    banner.hidden = true;
  };
  part(banner, "banner-close")?.addEventListener("click", closeBanner);

  for (const namespace of (root.getAttribute("data-namespaces") ?? "").split(/\s+/)) {
    if (namespace) page.subscribe(namespace);
  }
  const offs = [
    page.listen(Object.keys(page.toasts), (type, data) => {
      const spec = page.toasts[type]?.(data);
      if (spec) toast(spec);
    }),
    page.listen(["system:notification", "system:alert"], (type, data) => toast({
      level: data.level ?? (type === "system:alert" ? "warning" : "info"),
      title: data.title ?? (type === "system:alert" ? "Alert" : "Notification"),
      message: data.message ?? "",
    }, { sticky: type === "system:alert" })),
    page.listen(["system:maintenance"], (type, data) => showBanner(data)),
    page.socket.on("reset", () => toast({
      level: "warning",
      title: "Live updates interrupted",
      message: "Some updates could not be replayed; reload to see the latest.",
      action: { label: "Reload", run: () => page.reload() },
    }, { sticky: true })),
  ];
  return () => {
    offs.forEach((off) => off());
    part(banner, "banner-close")?.removeEventListener("click", closeBanner);
  };
}
