/**
 * Pure texts and money of the client: a status's label and CSS modifier, a money string in
 * integer cents. Part of the package, so `@omni-sales/realtime` stands alone once
 * installed; realtime's page widgets (realtime/widgets/format.js) re-export them, and
 * realtime/templatetags/realtime.py renders the same labels on the server.
 * @module realtime/format
 */

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
