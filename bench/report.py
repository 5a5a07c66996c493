"""The Markdown tables of a bench report (bench/run.py's JSON)."""

from __future__ import annotations

from typing import Any

LABELS = {
    "embedded": "project, embedded (in-memory layer, 1 Daphne)",
    "redis-1": "project, Redis pubsub, 1 Daphne",
    "redis-2": "project, Redis pubsub, 2 Daphne",
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


def markdown(report: dict[str, Any]) -> str:
    results = report["results"]
    lines: list[str] = []
    m = report["machine"]
    lines.append(f"Run {report['date']} on {m['nproc']} × {m['cpu']}, {m['memory_gib']} GiB; "
                 f"load client: {report['client']['kind']} × {report['client']['workers']} "
                 f"processes; {report['duration_s']:.0f} s in all.")
    lines.append("")
    bursts = [r for r in results if r["scenario"] == "burst"]
    if bursts:
        lines += [
            "### Burst fan-out: K events to N sockets subscribed to `orders`",
            "",
            "Ratios in brackets: this figure ÷ the `websockets` yardstick's at the same N.",
            "",
            "| target | N | K | connect all N (s) | auth under load p50 / p99 (ms) "
            "| deliveries/s | delivered / expected | first event p50 / p99 (ms) "
            "| save→socket p50 / p99 (ms) | server CPU (s) | RSS/socket (KB) "
            "| client CPU (% of a core) |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in sorted(bursts, key=lambda r: (r["sockets"] or 0, order(r["target"]))):
            if "error" in r:
                lines.append(f"| {r['target']} | {num(r['sockets'])} | | error: "
                             f"{r['error'][:80]} | | | | | | | | |")
                continue
            lines.append(
                f"| {r['target']} | {num(r['sockets'])} | {r['events']} "
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
        lines.append("")
        socketio = [r for r in bursts if r.get("vs", {}).get("socketio")]
        if socketio:
            lines += ["Deliveries/s as a ratio to the socket.io yardstick: " + "; ".join(
                f"{r['target']} N={num(r['sockets'])}: "
                f"{r['vs']['socketio'].get('deliveries_per_s', 0):.3g}×" for r in socketio), ""]
        stock = [r for r in bursts if r.get("vs", {}).get("channels")]
        if stock:
            lines += ["Deliveries/s as a ratio to stock Channels: " + "; ".join(
                f"{r['target']} N={num(r['sockets'])}: "
                f"{r['vs']['channels'].get('deliveries_per_s', 0):.3g}×" for r in stock), ""]
    latency = [r for r in results if r["scenario"] == "latency"]
    if latency:
        lines += [
            "### One event to idle sockets (save→socket latency, one save at a time)",
            "",
            "| target | sockets | events | delivered / expected | p50 (ms) | p99 (ms) | max (ms) |",
            "|---|--:|--:|--:|--:|--:|--:|",
        ]
        for r in sorted(latency, key=lambda r: order(r["target"])):
            if "error" in r:
                lines.append(f"| {r['target']} | error: {r['error'][:80]} | | | | | |")
                continue
            lines.append(
                f"| {r['target']} | {num(r['sockets'])} | {r['events']} "
                f"| {num(r['delivered'])} / {num(r['expected'])} "
                f"| {ms(r['latency_p50_ms'])}{ratio(r, 'latency_p50_ms')} "
                f"| {ms(r['latency_p99_ms'])}{ratio(r, 'latency_p99_ms')} "
                f"| {ms(r['latency_max_ms'])} |")
        lines.append("")
    churn = [r for r in results if r["scenario"] == "churn"]
    if churn:
        lines += [
            "### Connect/disconnect churn (after one warm-up wave)",
            "",
            "| target | sockets (waves) | s | failed | server RSS before → after (MB) "
            "| growth (KB) | open sockets before → after | Redis clients before → after "
            "| per-IP counter entries (Redis) before → after |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in sorted(churn, key=lambda r: order(r["target"])):
            if "error" in r:
                lines.append(f"| {r['target']} | error: {r['error'][:80]} | | | | | | | |")
                continue
            lines.append(
                f"| {r['target']} | {num(r['sockets'])} ({r['wave']}) | {r['seconds']:.1f} "
                f"| {r['connect_failed']} | {r['rss_before_mb']} → {r['rss_after_mb']} "
                f"| {num(r['rss_growth_kb'])} | {num(r['open_before'])} → {num(r['open_after'])} "
                f"| {num(r['redis_clients_before'])} → {num(r['redis_clients_after'])} "
                f"| {num(r.get('redis_ip_counter_before'))} → "
                f"{num(r.get('redis_ip_counter_after', r.get('redis_ip_counter_members')))} |")
        lines.append("")
    if report.get("skipped"):
        lines += ["Skipped: " + "; ".join(f"{k} ({v})" for k, v in report["skipped"].items()),
                  ""]
    return "\n".join(lines)


def order(target: str) -> int:
    keys = list(LABELS)
    return keys.index(target) if target in keys else len(keys)
