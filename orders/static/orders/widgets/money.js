/**
 * Money as the page shows it: "$47,829.07". The currency is the shop's (`data-currency`
 * on the widget, from settings.CURRENCY), the locale the page's `<html lang>` (Django's
 * LANGUAGE_CODE); orders/money.py renders the first paint the same way, so a live
 * update changes the figure, not its look. Payloads keep decimal strings; only the
 * text shown is formatted.
 * @module orders/widgets/money
 */

const formats = new Map();

function formatter(locale, currency) {
  const key = `${locale}|${currency}`;
  if (!formats.has(key)) {
    let format;
    try {
      format = new Intl.NumberFormat(locale || "en-US", { style: "currency", currency });
    } catch {
      // An unknown locale tag or currency code: the plain decimal string is better
      // than a widget that throws.
      format = null;
    }
    formats.set(key, format);
  }
  return formats.get(key);
}

/**
 * @param {unknown} value - a money string ("47829.07") or number
 * @param {{locale?: string, currency?: string}} [options]
 * @returns {string} the value as text, unchanged, when it is not a number
 */
export function formatMoney(value, { locale = "en-US", currency = "USD" } = {}) {
  const text = value === null || value === undefined ? "" : String(value);
  const amount = Number(text);
  const format = formatter(locale, currency);
  if (text.trim() === "" || !Number.isFinite(amount) || !format) return text;
  return format.format(amount);
}

/**
 * The money options of a widget: its root's `data-currency`, the document's `lang`.
 * @param {Element} root
 * @returns {{locale: string, currency: string}}
 */
export function moneyOptions(root) {
  return {
    locale: root.ownerDocument?.documentElement?.lang || "en-US",
    currency: root.getAttribute("data-currency") || "USD",
  };
}
