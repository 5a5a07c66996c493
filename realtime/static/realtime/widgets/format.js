/**
 * Pure formatting of widget values; realtime/templatetags/realtime.py renders the
 * same text on the server (status_label, status_class, clock). Apps' widget modules
 * import these from `../../realtime/widgets/format.js` (the static files' layout).
 * @module realtime/widgets/format
 */

// The client package's own (realtime/static/realtime/js/format.js): one implementation
// for the widgets and the React components.
export { statusClass, statusLabel, toCents } from "../js/format.js";

/** Text of the connection indicator per socket state. */
export const CONNECTION_LABELS = Object.freeze({
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
  failed: "Offline",
});

function parts(iso, timeZone, options) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const format = new Intl.DateTimeFormat("en-GB", { timeZone: timeZone || "UTC", ...options });
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
}

/**
 * An ISO 8601 time as `HH:MM:SS` in `timeZone` (the server's, so both sides agree).
 * @param {string} iso
 * @param {string} [timeZone="UTC"]
 * @returns {string} "" for an invalid time
 */
export function clock(iso, timeZone = "UTC") {
  const p = parts(iso, timeZone, {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  return p ? `${p.hour}:${p.minute}:${p.second}` : "";
}

/**
 * The calendar day (`YYYY-MM-DD`) of an ISO time in `timeZone`.
 * @param {string} iso
 * @param {string} [timeZone="UTC"]
 * @returns {string|null}
 */
export function dayOf(iso, timeZone = "UTC") {
  const p = parts(iso, timeZone, { year: "numeric", month: "2-digit", day: "2-digit" });
  return p ? `${p.year}-${p.month}-${p.day}` : null;
}

/**
 * Integer cents as a decimal string with two places: 14990 → "149.90".
 * @param {number} cents
 * @returns {string}
 */
export function fromCents(cents) {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(Math.round(cents));
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}
