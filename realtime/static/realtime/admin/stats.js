/**
 * The admin's Realtime page: renders GET /api/ws/stats (first from the JSON the
 * page was served with, then polled every interval) into the elements marked
 * data-field, data-table, data-processes and data-chart. Polling rather than a
 * socket push: stats are not events of the catalogue, and one small request a
 * second per open admin page is cheap. Text is set with textContent only.
 */

import { LineChart } from "./chart.js";
import { pageStatus } from "./status.js";

const RATE_SECONDS = 5;

/** `get(obj, "a.b")` → obj.a.b, or undefined. */
export function get(object, path) {
  return path.split(".").reduce((value, key) => (value == null ? undefined : value[key]), object);
}

/** Display text for a figure; `kind` "ms" adds the unit, null shows a dash. */
export function format(value, kind) {
  if (value === null || value === undefined) return "—";
  if (kind === "ms") return `${Number(value).toFixed(value < 10 ? 2 : 1)} ms`;
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(1);
  return String(value);
}

/** Mean of the last `n` values (0 for none). */
export function recentRate(values, n = RATE_SECONDS) {
  const tail = (values || []).slice(-n);
  return tail.length ? tail.reduce((a, b) => a + b, 0) / tail.length : 0;
}

function cell(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

function fillTable(tbody, entries) {
  const rows = Object.entries(entries || {}).sort(([a], [b]) => a.localeCompare(b));
  if (!rows.length) {
    const row = document.createElement("tr");
    row.appendChild(cell("td", "none", "rt-muted"));
    tbody.replaceChildren(row);
    return;
  }
  tbody.replaceChildren(
    ...rows.map(([name, count]) => {
      const row = document.createElement("tr");
      row.append(cell("th", name), cell("td", format(count)));
      row.firstChild.scope = "row";
      return row;
    }),
  );
}

function fillProcesses(tbody, processes) {
  tbody.replaceChildren(
    ...processes.map((process) => {
      const row = document.createElement("tr");
      if (process.current) row.className = "rt-current";
      row.dataset.origin = process.origin;
      row.append(
        cell("td", process.host),
        cell("td", String(process.pid)),
        cell("td", process.origin),
        cell("td", `${Math.round(process.uptime)} s`),
        cell("td", format(process.connections.total)),
        cell("td", format(process.connects)),
        cell("td", format(process.deliveries)),
        cell("td", format(process.latency.p95, "ms")),
        cell("td", new Date(process.updatedAt).toLocaleTimeString()),
      );
      return row;
    }),
  );
}

export class StatsPage {
  constructor(root) {
    this.root = root;
    this.url = root.dataset.url;
    this.interval = Math.max(Number(root.dataset.interval) || 1000, 500);
    this.charts = {
      connections: new LineChart(root.querySelector('[data-chart="connections"]'), {
        series: [{ key: "connections", className: "rt-connections" }],
      }),
      rates: new LineChart(root.querySelector('[data-chart="rates"]'), {
        series: [
          { key: "events", className: "rt-events" },
          { key: "deliveries", className: "rt-deliveries" },
        ],
      }),
    };
  }

  render(stats) {
    const history = stats.history || {};
    const derived = {
      ...stats,
      rate: {
        events: Math.round(recentRate(history.events) * 10) / 10,
        deliveries: Math.round(recentRate(history.deliveries) * 10) / 10,
      },
      generatedAt: new Date(stats.generatedAt).toLocaleTimeString(),
    };
    for (const node of this.root.querySelectorAll("[data-field]")) {
      if (node.dataset.field === "status") continue;
      node.textContent = format(get(derived, node.dataset.field), node.dataset.format);
    }
    for (const tbody of this.root.querySelectorAll("[data-table]")) {
      fillTable(tbody, get(stats, tbody.dataset.table));
    }
    fillProcesses(this.root.querySelector("[data-processes]"), stats.processes || []);
    this.charts.connections.update(history);
    this.charts.rates.update(history);
  }

  status(state, text) {
    this.root.querySelector(".rt-dot").dataset.state = state;
    this.root.querySelector('[data-field="status"]').textContent = text;
  }

  async poll() {
    try {
      const response = await fetch(this.url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        cache: "no-store",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const stats = await response.json();
      this.render(stats);
      const { state, text } = pageStatus(stats);
      this.status(state, text);
    } catch (error) {
      this.status("error", `not updating (${error.message}), retrying`);
    } finally {
      setTimeout(() => this.poll(), this.interval);
    }
  }

  start() {
    const initial = document.getElementById("realtime-stats-initial");
    if (initial) this.render(JSON.parse(initial.textContent));
    this.poll();
  }
}

const root = document.getElementById("realtime-stats");
if (root) new StatsPage(root).start();
