"""This process over time: per-second samples, the latency window, and its snapshot.

The publisher task ticks ``sampler`` every ``STATS_INTERVAL``; ``snapshot()`` is what
it then writes to the shared store, and what a request adds as this process's live row.
"""

from __future__ import annotations

import os
import socket
import time
from collections import Counter, deque
from typing import Any

from .counting import connections, counters, latency, lock
from .histogram import sparse

STARTED = time.time()
HOST = socket.gethostname()
# Seconds of per-second history kept for the charts, and of deliveries behind
# the latency percentiles.
HISTORY_SECONDS = 300
LATENCY_WINDOW = 60


def _by_namespace() -> dict[str, int]:
    """Open sockets subscribed to each namespace, read from this process's sockets."""
    from ..limits import registry

    counts: Counter[str] = Counter()
    for consumer in list(registry.sockets):
        counts.update(list(getattr(consumer, "subscriptions", ())))
    return dict(counts)


class Sampler:
    """Per-second samples of this process: connections, events, deliveries, latency."""

    def __init__(self) -> None:
        # (second, open sockets, events published, deliveries), cumulative counts.
        self.history: deque[tuple[int, int, int, int]] = deque(maxlen=HISTORY_SECONDS + 1)
        # (time, latency counts): the oldest one at least LATENCY_WINDOW old is the base.
        self.latency: deque[tuple[float, list[int]]] = deque([(STARTED, [0] * len(latency.counts))])

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with lock:
            sample = (int(now), sum(connections.values()),
                      sum(n for name, n in counters.items() if name.startswith("events.")),
                      counters["deliveries"])
        if self.history and self.history[-1][0] == sample[0]:
            self.history[-1] = sample
        else:
            self.history.append(sample)
        self.latency.append((now, list(latency.counts)))
        while len(self.latency) > 1 and self.latency[1][0] <= now - LATENCY_WINDOW:
            self.latency.popleft()

    def latency_window(self) -> tuple[float, list[int]]:
        """Seconds covered and the latency counts over the last ``LATENCY_WINDOW`` or so."""
        since, base = self.latency[0]
        return time.time() - since, [current - old for current, old in zip(latency.counts, base,
                                                                             strict=True)]

    def series(self) -> dict[str, Any]:
        """Per-second series, oldest first, ending at ``end`` (an epoch second)."""
        samples = list(self.history)
        series: dict[str, Any] = {"end": samples[-1][0] if samples else int(time.time()),
                                  "connections": [], "events": [], "deliveries": []}
        for (before, *old), (second, conns, events, deliveries) in zip(samples, samples[1:],
                                                                       strict=False):
            gap = second - before
            series["connections"] += [old[0]] * (gap - 1) + [conns]
            series["events"] += [round((events - old[1]) / gap, 2)] * gap
            series["deliveries"] += [round((deliveries - old[2]) / gap, 2)] * gap
        for name in ("connections", "events", "deliveries"):
            series[name] = series[name][-HISTORY_SECONDS:]
        return series


sampler = Sampler()


def snapshot() -> dict[str, Any]:
    """This process's figures, as it writes them to the shared store."""
    from ..process import PROCESS_ORIGIN

    now = time.time()
    with lock:
        by_role = dict(connections)
        counts = dict(counters)
    window_seconds, window = sampler.latency_window()
    return {
        "origin": PROCESS_ORIGIN,
        "pid": os.getpid(),
        "host": HOST,
        "startedAt": STARTED,
        "updatedAt": now,
        "uptime": round(now - STARTED, 3),
        "connections": {"total": sum(by_role.values()), "byRole": by_role,
                        "byNamespace": _by_namespace()},
        "counters": counts,
        "latency": {"counts": sparse(latency.counts), "sum": latency.sum,
                    "window": sparse(window), "windowSeconds": round(window_seconds, 1)},
        "history": sampler.series(),
    }
