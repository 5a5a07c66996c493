/**
 * Pure formatting of widget values; realtime/templatetags/realtime.py renders the
 * same text on the server (status_label, status_class, clock). Apps' widget modules
 * import these from `../../realtime/widgets/format.js` (the static files' layout).
 * @module realtime/widgets/format
 */

/** Text of the connection indicator per socket state. */
export const CONNECTION_LABELS = Object.freeze({
  connecting: "Connecting…",
  open: "Live",
  reconnecting: "Reconnecting…",
  closed: "Disconnected",
  failed: "Offline",
});

/**
 * `"status_changed"` → `"Status changed"`.
 * @param {unknown} status
 * @returns {string}
 */
export function statusLabel(status) {
  const text = String(status ?? "").replaceAll("_", " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A CSS-safe modifier for a status: lower case, anything but letters and digits → "-".
 * @param {unknown} status
 * @returns {string}
 */
export function statusClass(status) {
  const text = String(status || "unknown").toLowerCase();
  return text.replace(/[^\p{L}\p{N}]/gu, "-");
}

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
 * A money string ("149.90", "-3.5", "12") as integer cents; NaN when it is not one.
 * Money travels as decimal strings and is summed in cents, never in floats.
 * @param {unknown} value
 * @returns {number}
 */
export function toCents(value) {
  const match = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(String(value ?? "").trim());
  if (!match) return Number.NaN;
  const cents = Number(match[2]) * 100 + Number((match[3] ?? "0").padEnd(2, "0"));
  return match[1] ? -cents : cents;
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
