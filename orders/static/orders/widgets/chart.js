/**
 * The dashboard's chart of today's orders and revenue per minute: a bar per minute
 * with orders (height: how many), a line with a point per such minute (revenue), in
 * plain SVG like the admin's Live stats charts (whose `niceMax` axis rounding it
 * shares). Starts from the server's buckets, then `order:*` events move them
 * (MinuteSeries). Markup: `{% live_sales_chart %}`.
 * @module orders/widgets/chart
 */

import { niceMax } from "../../realtime/admin/chart.js";
import { part, readState } from "../../realtime/widgets/dom.js";
import { clock } from "../../realtime/widgets/format.js";
import { formatMoney, moneyOptions } from "./money.js";
import { MinuteSeries, minuteOf } from "./minutes.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MINUTE = 60_000;
/** The shortest window (so a quiet morning's bars are not a hair wide) and its step. */
const SPAN = 30 * MINUTE;
const STEP = 5 * MINUTE;
/** Plot size and margins, in viewBox units (the SVG scales to its panel). */
export const BOX = Object.freeze({ width: 640, height: 150, left: 34, right: 64, top: 10, bottom: 22 });

/**
 * Where everything goes, from the buckets alone (no DOM): the time window runs from
 * the first bucket (on a 5-minute step, at least 30 minutes back) to the end of the
 * current minute; bars are orders on the left axis, points revenue on the right one.
 * @param {{minute: number, orders: number, revenue: string}[]} points - oldest first
 * @param {{now: number, width?: number, height?: number}} options
 */
export function layout(points, { now, width = BOX.width, height = BOX.height }) {
  // The last bucket is never cut off, even from a server clock ahead of this one.
  const last = points.length ? points[points.length - 1].minute : 0;
  const end = Math.max(minuteOf(new Date(now).toISOString()), last) + MINUTE;
  const first = points.length ? Math.min(points[0].minute, end - SPAN) : end - SPAN;
  const start = Math.floor(first / STEP) * STEP;
  const span = end - start;
  const barWidth = Math.max(2, (width * MINUTE) / span - 1);
  const maxOrders = niceMax(Math.max(0, ...points.map((p) => p.orders)));
  const maxRevenue = niceMax(Math.max(0, ...points.map((p) => Number(p.revenue))));
  const x = (minute) => ((minute - start) / span) * width;
  return {
    start, end, maxOrders, maxRevenue,
    bars: points.map((p) => {
      const h = (p.orders / maxOrders) * height;
      return { ...p, x: x(p.minute), y: height - h, width: barWidth, height: h };
    }),
    line: points.map((p) => ({ ...p, x: x(p.minute) + barWidth / 2,
      y: height - (Math.max(0, Number(p.revenue)) / maxRevenue) * height })),
  };
}

function svg(doc, name, attributes = {}, parent = null, text = null) {
  const node = doc.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

const round = (n) => Math.round(n * 10) / 10;
/** A minute as the payloads write times: "2026-11-26T10:05:00Z" (no milliseconds). */
const isoMinute = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * Draws the layout into `root` (an <svg>), replacing what it held.
 * @param {SVGSVGElement} root
 * @param {ReturnType<typeof layout>} plan
 * @param {{timeZone: string, money: object, showRevenue: boolean}} options
 */
export function draw(root, plan, { timeZone, money, showRevenue }) {
  const doc = root.ownerDocument;
  const { width, height, left, right, top, bottom } = BOX;
  root.setAttribute("viewBox", `0 0 ${width + left + right} ${height + top + bottom}`);
  root.replaceChildren();
  const g = svg(doc, "g", { transform: `translate(${left},${top})` }, root);
  for (const fraction of [1, 0.5, 0]) {
    const y = height - fraction * height;
    svg(doc, "line", { x1: 0, x2: width, y1: y, y2: y, class: "rt-chart__grid" }, g);
    const orders = plan.maxOrders * fraction;
    svg(doc, "text", { x: -6, y: y + 4, class: "rt-chart__axis", "text-anchor": "end" }, g,
      Number.isInteger(orders) ? String(orders) : orders.toFixed(1));
    if (showRevenue) {
      svg(doc, "text", { x: width + 6, y: y + 4, class: "rt-chart__axis rt-chart__axis--revenue" }, g,
        formatMoney(String(plan.maxRevenue * fraction), money).replace(/\.00$/, ""));
    }
  }
  const time = (ms) => clock(new Date(ms).toISOString(), timeZone).slice(0, 5);
  svg(doc, "text", { x: 0, y: height + 16, class: "rt-chart__axis" }, g, time(plan.start));
  svg(doc, "text", { x: width, y: height + 16, class: "rt-chart__axis", "text-anchor": "end" }, g,
    time(plan.end));
  for (const bar of plan.bars) {
    const rect = svg(doc, "rect", {
      class: "rt-chart__bar", x: round(bar.x), y: round(bar.y), width: round(bar.width),
      height: round(bar.height), "data-minute": isoMinute(bar.minute),
      "data-orders": bar.orders,
    }, g);
    const revenue = showRevenue ? ` · ${formatMoney(bar.revenue, money)}` : "";
    svg(doc, "title", {}, rect,
      `${time(bar.minute)} · ${bar.orders} order${bar.orders === 1 ? "" : "s"}${revenue}`);
  }
  if (!showRevenue) return;
  svg(doc, "polyline", { class: "rt-chart__line", fill: "none",
    points: plan.line.map((p) => `${round(p.x)},${round(p.y)}`).join(" ") }, g);
  for (const point of plan.line) {
    svg(doc, "circle", { class: "rt-chart__point", cx: round(point.x), cy: round(point.y), r: 3,
      "data-minute": isoMinute(point.minute), "data-revenue": point.revenue }, g);
  }
}

/** @param {HTMLElement} root @param {import("../../realtime/widgets/page.js").Page} page */
export function mountSalesChart(root, page) {
  const state = readState(root) ?? {};
  const timeZone = page.config.timeZone;
  const series = new MinuteSeries({ ...state, timeZone });
  const chart = part(root, "chart");
  const empty = part(root, "chart-empty");
  const options = { timeZone, money: moneyOptions(root), showRevenue: Boolean(state.showRevenue) };
  const now = () => Date.now();
  const render = () => {
    const points = series.points();
    draw(chart, layout(points, { now: now() }), options);
    if (empty) empty.hidden = points.length > 0;
  };
  render();
  // The window ends at the current minute: redraw each minute so it follows the clock.
  let mounted = true;
  const tick = () => {
    if (!mounted) return;
    render();
    page.setTimeout(tick, MINUTE);
  };
  page.setTimeout(tick, MINUTE);
  page.subscribe("orders");
  const off = page.listen(["orders:*"], (type, order) => {
    if (series.apply(type, order)) render();
  });
  return () => {
    mounted = false;
    off();
  };
}
