"""The cluster's figures: the live processes' snapshots, read from the store and merged.

``cluster()`` is what ``/api/ws/stats``, the admin page and ``manage.py realtime_stats``
show; ``collect()`` gives the raw rows ``/metrics`` labels by process.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from .histogram import BOUNDS, dense, percentile
from .sampling import HISTORY_SECONDS, LATENCY_WINDOW, snapshot
from .stores import store, ttl

logger = logging.getLogger("realtime.stats")


def collect(include_local: bool = True) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Raw snapshots of the live processes (this one first) and the store's state.

    ``include_local`` adds this process's live figures (a server answering a
    request); a management command leaves it out, having no sockets of its own.
    With Redis, a last row ``{"origin": "external", "external": True, "counters"}``
    holds what processes serving no sockets published (``Shipper``).
    """
    target = store()
    status = {"backend": target.backend, "ok": True, "ttl": ttl()}
    try:
        shared = target.read()
        external = target.read_external()
    except Exception:
        logger.warning("stats store (%s) unreadable; showing this process only",
                       target.backend, exc_info=True)
        status["ok"] = False
        shared, external = [], {}
    rows = []
    if include_local:
        local = snapshot()
        local["current"] = True
        rows.append(local)
        shared = [row for row in shared if row.get("origin") != local["origin"]]
    rows += sorted(shared, key=lambda row: (row.get("host", ""), row.get("pid", 0)))
    if external:
        rows.append({"origin": "external", "external": True, "counters": external})
    return rows, status


def cluster(include_local: bool = True) -> dict[str, Any]:
    """The JSON of ``/api/ws/stats``: totals, history and one row per live process."""
    rows, status = collect(include_local)
    return summarize(rows, status)


def summarize(rows: list[dict[str, Any]], status: dict[str, Any] | None = None,
              now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    total_roles: Counter[str] = Counter()
    total_namespaces: Counter[str] = Counter()
    total_counters: Counter[str] = Counter()
    window: list[int] = [0] * (len(BOUNDS) + 1)
    processes = []
    external: dict[str, int] = {}
    for row in rows:
        if row.get("external"):
            external = row.get("counters", {})
            total_counters.update(external)
            continue
        conns = row.get("connections", {})
        total_roles.update(conns.get("byRole", {}))
        total_namespaces.update(conns.get("byNamespace", {}))
        total_counters.update(row.get("counters", {}))
        row_window = dense(row.get("latency", {}).get("window", []))
        window = [a + b for a, b in zip(window, row_window, strict=True)]
        processes.append({
            "origin": row.get("origin"),
            "pid": row.get("pid"),
            "host": row.get("host"),
            "current": bool(row.get("current")),
            "startedAt": _iso(row.get("startedAt", now)),
            "updatedAt": _iso(row.get("updatedAt", now)),
            "uptime": round(now - row.get("startedAt", now), 1),
            **figures(conns.get("byRole", {}), conns.get("byNamespace", {}),
                      row.get("counters", {}), row_window),
        })
    return {
        "generatedAt": _iso(now),
        "store": status or {},
        "processCount": len(processes),
        "uptime": max((p["uptime"] for p in processes), default=0.0),
        **figures(total_roles, total_namespaces, total_counters, window),
        "history": merge_history([row["history"] for row in rows if row.get("history")]),
        "external": {"events": _group(external, "events.", "byType"),
                     "publishFailures": external.get("publish.failures", 0)},
        "processes": processes,
    }


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _group(counts: dict[str, int], prefix: str, key: str) -> dict[str, Any]:
    """``{"total": n, key: {suffix: n}}`` of the counters named ``prefix<suffix>``."""
    members = {name[len(prefix):]: n for name, n in sorted(counts.items())
               if name.startswith(prefix)}
    return {"total": sum(members.values()), key: members}


def figures(by_role: dict[str, int], by_namespace: dict[str, int], counts: dict[str, int],
            window: list[int]) -> dict[str, Any]:
    """The figures of one process or of the cluster, from its raw counts."""
    counts = dict(counts)
    return {
        "connections": {"total": sum(by_role.values()), "byRole": dict(sorted(by_role.items())),
                        "byNamespace": dict(sorted(by_namespace.items()))},
        "connects": counts.get("connects", 0),
        "disconnects": _group(counts, "disconnects.", "byCode"),
        "framesIn": counts.get("frames.in", 0),
        "rateLimited": counts.get("frames.rate_limited", 0),
        "authFailures": counts.get("auth.failures", 0),
        "loginFailures": counts.get("login.failed", 0),
        "loginLockouts": counts.get("login.locked_out", 0),
        "loginThrottled": counts.get("login.throttled", 0),
        "credentialsEnded": counts.get("closed.credential_ended", 0),
        "events": _group(counts, "events.", "byType"),
        "publishFailures": counts.get("publish.failures", 0),
        "deliveries": counts.get("deliveries", 0),
        "errors": _group(counts, "errors.", "byCode"),
        "refused": _group(counts, "refused.", "byReason"),
        "slowReadersDropped": counts.get("dropped.slow_reader", 0),
        "latency": latency_figures(window),
        "counters": dict(sorted(counts.items())),
    }


def latency_figures(window: list[int]) -> dict[str, Any]:
    """p50/p95/p99 in milliseconds over the latency window, and how many deliveries."""

    def ms(q: float) -> float | None:
        value = percentile(window, q)
        return None if value is None else round(value * 1000, 2)

    return {"samples": sum(window), "windowSeconds": LATENCY_WINDOW,
            "p50": ms(0.50), "p95": ms(0.95), "p99": ms(0.99)}


def merge_history(histories: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum per-second series of several processes, aligned on their epoch seconds.

    The merged series ends at the oldest ``end`` among processes that are no more
    than a few seconds behind, so one that has not published its latest second yet
    does not dip the last point.
    """
    live = [h for h in histories if h.get("connections")]
    if not live:
        return {"end": int(time.time()), "step": 1, "connections": [], "events": [],
                "deliveries": []}
    newest = max(h["end"] for h in live)
    end = min(h["end"] for h in live if h["end"] >= newest - 3)
    merged = {name: [0.0] * HISTORY_SECONDS for name in ("connections", "events", "deliveries")}
    for history in live:
        for name, series in merged.items():
            values = history[name]
            for offset, value in enumerate(values):
                slot = HISTORY_SECONDS - 1 - (end - (history["end"] - len(values) + 1 + offset))
                if 0 <= slot < HISTORY_SECONDS:
                    series[slot] += value
            if name == "connections" and history["end"] < end and values:
                # A process behind by a second or two: its last count still holds.
                for second in range(history["end"] + 1, end + 1):
                    slot = HISTORY_SECONDS - 1 - (end - second)
                    if 0 <= slot < HISTORY_SECONDS:
                        series[slot] += values[-1]
    length = min(HISTORY_SECONDS, max(len(h["connections"]) + (end - h["end"]) for h in live))
    return {"end": end, "step": 1,
            "connections": [int(v) for v in merged["connections"][-length:]],
            "events": [round(v, 2) for v in merged["events"][-length:]],
            "deliveries": [round(v, 2) for v in merged["deliveries"][-length:]]}
