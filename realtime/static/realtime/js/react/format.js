/**
 * Texts and money of the React components. Kept inside the package (not imported from
 * realtime/widgets/) so `@omni-sales/realtime/react` stands alone once installed.
 * @module realtime/react/format
 */

/**
 * "processing" → "Processing", "in_transit" → "In transit": the server's label.
 * @param {unknown} status
 * @returns {string}
 */
export function statusLabel(status) {
  const text = String(status ?? "").replaceAll("_", " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * A CSS-safe modifier for a status (the `rt-badge--<status>` classes of the dashboard).
 * @param {unknown} status
 * @returns {string}
 */
export function statusClass(status) {
  return String(status || "unknown").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "-");
}

/**
 * The page's currency: `<meta name="currency" content="EUR">` or `<html data-currency>`,
 * so one page-wide setting (rendered by the server) reaches every component; else "USD".
 * @param {Document} [doc]
 * @returns {string}
 */
export function defaultCurrency(doc = globalThis.document) {
  const meta = doc?.querySelector?.('meta[name="currency"]')?.getAttribute("content");
  return meta || doc?.documentElement?.dataset?.currency || "USD";
}

/**
 * A decimal string ("149.90", as payloads carry money) in integer cents; NaN if it is not
 * one. Integer cents keep sums exact where floats would drift.
 * @param {unknown} value
 * @returns {number}
 */
export function toCents(value) {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(value ?? "").trim());
  if (!match) return Number.NaN;
  const cents = Number(match[2]) * 100 + Number((match[3] ?? "").padEnd(2, "0"));
  return match[1] ? -cents : cents;
}

/**
 * Money for display, with Intl.NumberFormat.
 * @param {number} cents
 * @param {{currency?: string, locale?: string}} [options]
 * @returns {string}
 */
export function formatMoney(cents, { currency, locale } = {}) {
  return new Intl.NumberFormat(locale, { style: "currency", currency: currency || defaultCurrency() })
    .format(cents / 100);
}
