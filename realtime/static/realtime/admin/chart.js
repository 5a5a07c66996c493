/**
 * A small SVG line chart for the admin's Realtime page: one polyline per series
 * over a fixed number of slots (seconds), the newest value at the right edge, a
 * y axis rounded up to 1, 2 or 5 × 10^n. No dependencies; text via textContent.
 */

const SVG_NS = "http://www.w3.org/2000/svg";
const MARGIN = { left: 44, right: 8, top: 8, bottom: 20 };

/** The smallest 1, 2 or 5 × 10^n at or above `value` (1 for nothing to show). */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power * (1 + 1e-9)) return step * power;
  }
  return 10 * power;
}

/** Polyline points for `values` (oldest first) in `slots` across a width × height box. */
export function points(values, slots, width, height, max) {
  const step = slots > 1 ? width / (slots - 1) : 0;
  const offset = slots - values.length;
  return values
    .map((value, i) => {
      const x = (offset + i) * step;
      const y = height - (Math.max(0, value) / max) * height;
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}

function element(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

export class LineChart {
  /**
   * @param {SVGSVGElement} svg
   * @param {{series: {key: string, className: string}[], slots?: number,
   *          width?: number, height?: number, span?: string}} options
   */
  constructor(svg, { series, slots = 300, width = 560, height = 140, span = "5 min" }) {
    this.series = series;
    this.slots = slots;
    this.width = width;
    this.height = height;
    svg.setAttribute(
      "viewBox",
      `0 0 ${width + MARGIN.left + MARGIN.right} ${height + MARGIN.top + MARGIN.bottom}`,
    );
    svg.replaceChildren();
    const plot = element("g", { transform: `translate(${MARGIN.left},${MARGIN.top})` }, svg);
    this.ticks = [1, 0.5, 0].map((fraction) => {
      const y = height - fraction * height;
      element("line", { x1: 0, x2: width, y1: y, y2: y, class: "rt-grid-line" }, plot);
      const label = element("text", { x: -6, y: y + 4, class: "rt-axis", "text-anchor": "end" }, plot);
      return { fraction, label };
    });
    const left = element("text", { x: 0, y: height + 15, class: "rt-axis" }, plot);
    left.textContent = `−${span}`;
    const right = element("text", { x: width, y: height + 15, class: "rt-axis", "text-anchor": "end" }, plot);
    right.textContent = "now";
    this.lines = new Map(
      series.map(({ key, className }) => [
        key,
        element("polyline", { class: `rt-line ${className}`, fill: "none", points: "" }, plot),
      ]),
    );
    this.max = 1;
  }

  /** Redraw from `{key: values}`, each oldest first, the last value being "now". */
  update(data) {
    let top = 0;
    for (const { key } of this.series) {
      for (const value of data[key] || []) top = Math.max(top, value);
    }
    this.max = niceMax(top);
    for (const { fraction, label } of this.ticks) {
      const value = this.max * fraction;
      label.textContent = Number.isInteger(value) ? String(value) : value.toFixed(1);
    }
    for (const { key } of this.series) {
      const values = (data[key] || []).slice(-this.slots);
      this.lines.get(key).setAttribute(
        "points",
        points(values, this.slots, this.width, this.height, this.max),
      );
    }
  }
}
