import assert from "node:assert/strict";
import { test } from "node:test";

import { formatMoney } from "../../orders/static/orders/widgets/money.js";

test("dollars with a thousands separator and two places", () => {
  assert.equal(formatMoney("47829.07", { locale: "en-us", currency: "USD" }), "$47,829.07");
  assert.equal(formatMoney("12", { locale: "en-US", currency: "USD" }), "$12.00");
  assert.equal(formatMoney("1234567.5", { locale: "en-US", currency: "USD" }), "$1,234,567.50");
});

test("negative amounts keep their sign", () => {
  assert.equal(formatMoney("-3.50", { locale: "en-US", currency: "USD" }), "-$3.50");
});

test("the currency comes from the options", () => {
  assert.equal(formatMoney("10", { locale: "en-US", currency: "EUR" }), "€10.00");
  assert.equal(formatMoney("1000", { locale: "en-US", currency: "JPY" }), "¥1,000");
});

test("the locale decides the separators", () => {
  assert.equal(formatMoney("1234.5", { locale: "de-DE", currency: "EUR" })
    .replace(/\s/g, " "), "1.234,50 €");
});

test("what is not money is shown as it came", () => {
  assert.equal(formatMoney("n/a", { currency: "USD" }), "n/a");
  assert.equal(formatMoney(null, { currency: "USD" }), "");
  assert.equal(formatMoney("12", { currency: "NOT-A-CODE" }), "12");
});
