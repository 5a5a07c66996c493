"""The Markdown tables of a bench report (bench/run.py's JSON)."""

from __future__ import annotations

from typing import Any

LABELS = {
    "embedded": "project, embedded (in-memory layer, 1 Daphne)",
    "redis-1": "project, Redis pubsub, 1 Daphne",
    "redis-2": "project, Redis pubsub, 2 Daphne",
    "redis-1-uvicorn": "project, Redis pubsub, 1 uvicorn (`--ws websockets`)",
    "channels": "stock Channels (Daphne + channels_redis pubsub, stock consumer)",
    "websockets": "yardstick: Python `websockets.broadcast`",
    "socketio": "yardstick: Node socket.io (room emit)",
}


def num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    if isinstance(value, (int, float)):
        return f"{value:,.0f}" if abs(value) >= 100 or digits == 0 else f"{value:,.1f}"
    return str(value)


def ms(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def pair(a: Any, b: Any) -> str:
    return f"{ms(a)} / {ms(b)}"


def ratio(result: dict[str, Any], key: str, yardstick: str = "websockets") -> str:
    value = result.get("vs", {}).get(yardstick, {}).get(key)
    if value is None:
        return ""
    return f" ({value:.3g}×)" if value < 10 else f" ({value:,.0f}×)"


def table(title: str, header: str, rows: list[dict[str, Any]], key: Any, row: Any,
          note: str = "", lead: Any = lambda r: [r["target"]]) -> list[str]:
    """One scenario's section: heading, header, a row per result (errors in place)."""
    columns = header.count("|") - 1
    lines = [f"### {title}", ""] + ([note, ""] if note else [])
    lines += [header, "|---|" + "--:|" * (columns - 1)]
    for r in sorted(rows, key=key):
        if "error" in r:
            cells = [*lead(r), f"error: {r['error'][:80]}"]
            cells += [""] * (columns - len(cells))
            lines.append("| " + " | ".join(cells) + " |")
        else:
            lines.append(row(r))
    return [*lines, ""]


def ratio_line(bursts: list[dict[str, Any]], yardstick: str, title: str) -> list[str]:
    """Deliveries/s of each project row as a ratio to one more yardstick, on one line."""
    rows = [r for r in bursts if r.get("vs", {}).get(yardstick)]
    if not rows:
        return []
    return [f"Deliveries/s as a ratio to {title}: " + "; ".join(
        f"{r['target']} N={num(r['sockets'])}: "
        f"{r['vs'][yardstick].get('deliveries_per_s', 0):.3g}×" for r in rows), ""]


def burst_row(r: dict[str, Any]) -> str:
    return (f"| {r['target']} | {num(r['sockets'])} | {r['events']} "
            f"| {r['connect_s']:.2f}{ratio(r, 'connect_s')} "
            f"| {pair(r['auth_p50_ms'], r['auth_p99_ms'])}{ratio(r, 'auth_p99_ms')} "
            f"| {num(r['deliveries_per_s'])}{ratio(r, 'deliveries_per_s')} "
            f"| {num(r['delivered'])} / {num(r['expected'])}"
            f"{' (timed out)' if r['timed_out'] else ''} "
            f"| {pair(r['first_event_p50_ms'], r['first_event_p99_ms'])} "
            f"| {pair(r['latency_p50_ms'], r['latency_p99_ms'])}"
            f"{ratio(r, 'latency_p99_ms')} "
            f"| {r['server_cpu_s']:.2f}{ratio(r, 'server_cpu_s')} "
            f"| {r['rss_per_socket_kb']:.1f}{ratio(r, 'rss_per_socket_kb')} "
            f"| {num(r['client_cpu_pct'])} |")


def latency_row(r: dict[str, Any]) -> str:
    return (f"| {r['target']} | {num(r['sockets'])} | {r['events']} "
            f"| {num(r['delivered'])} / {num(r['expected'])} "
            f"| {ms(r['latency_p50_ms'])}{ratio(r, 'latency_p50_ms')} "
            f"| {ms(r['latency_p99_ms'])}{ratio(r, 'latency_p99_ms')} "
            f"| {ms(r['latency_max_ms'])} |")


def churn_row(r: dict[str, Any]) -> str:
    return (f"| {r['target']} | {num(r['sockets'])} ({r['wave']}) | {r['seconds']:.1f} "
            f"| {r['connect_failed']} | {r['rss_before_mb']} → {r['rss_after_mb']} "
            f"| {num(r['rss_growth_kb'])} | {num(r['open_before'])} → {num(r['open_after'])} "
            f"| {num(r['redis_clients_before'])} → {num(r['redis_clients_after'])} "
            f"| {num(r.get('redis_ip_counter_before'))} → "
            f"{num(r.get('redis_ip_counter_after', r.get('redis_ip_counter_members')))} |")


def markdown(report: dict[str, Any]) -> str:
    results = report["results"]
    m = report["machine"]
    lines = [f"Run {report['date']} on {m['nproc']} × {m['cpu']}, {m['memory_gib']} GiB; "
             f"load client: {report['client']['kind']} × {report['client']['workers']} "
             f"processes; {report['duration_s']:.0f} s in all.", ""]
    by_target = lambda r: order(r["target"])  # noqa: E731
    bursts = [r for r in results if r["scenario"] == "burst"]
    if bursts:
        lines += table(
            "Burst fan-out: K events to N sockets subscribed to `orders`",
            "| target | N | K | connect all N (s) | auth under load p50 / p99 (ms) "
            "| deliveries/s | delivered / expected | first event p50 / p99 (ms) "
            "| save→socket p50 / p99 (ms) | server CPU (s) | RSS/socket (KB) "
            "| client CPU (% of a core) |",
            bursts, lambda r: (r["sockets"] or 0, order(r["target"])), burst_row,
            note="Ratios in brackets: this figure ÷ the `websockets` yardstick's at the same N.",
            lead=lambda r: [r["target"], num(r["sockets"]), ""])
        lines += ratio_line(bursts, "socketio", "the socket.io yardstick")
        lines += ratio_line(bursts, "channels", "stock Channels")
    latency = [r for r in results if r["scenario"] == "latency"]
    if latency:
        lines += table(
            "One event to idle sockets (save→socket latency, one save at a time)",
            "| target | sockets | events | delivered / expected | p50 (ms) | p99 (ms) "
            "| max (ms) |", latency, by_target, latency_row)
    churn = [r for r in results if r["scenario"] == "churn"]
    if churn:
        lines += table(
            "Connect/disconnect churn (after one warm-up wave)",
            "| target | sockets (waves) | s | failed | server RSS before → after (MB) "
            "| growth (KB) | open sockets before → after | Redis clients before → after "
            "| per-IP counter entries (Redis) before → after |", churn, by_target, churn_row)
    if report.get("skipped"):
        lines += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in report["skipped"].items()),
                  ""]
    return "\n".join(lines)


def order(target: str) -> int:
    keys = list(LABELS)
    return keys.index(target) if target in keys else len(keys)
