/**
 * Texts and money of the React components: the package's own helpers (../format.js), and
 * money for display in the page's currency.
 * @module realtime/react/format
 */

export { statusClass, statusLabel, toCents } from "../format.js";

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
 * Money for display, with Intl.NumberFormat.
 * @param {number} cents
 * @param {{currency?: string, locale?: string}} [options]
 * @returns {string}
 */
export function formatMoney(cents, { currency, locale } = {}) {
  return new Intl.NumberFormat(locale, { style: "currency", currency: currency || defaultCurrency() })
    .format(cents / 100);
}
