"""Connection and event figures: counted per process, merged across processes.

Every server process counts in memory: the consumer and ``publish`` call the
functions below, and ``record_deliveries`` runs on the fan-out path, so it is a
few increments per slice of sockets. Once a process has opened a socket, a task
on its event loop samples its figures every ``STATS_INTERVAL`` seconds (the
history behind the admin page's charts, the latency window) and writes its
snapshot to the shared store: a Redis key that expires after ``ttl()`` seconds
when ``REDIS_URL`` is set, otherwise a ``ProcessStats`` row that readers ignore
once it is that old. A process that dies drops out within the TTL.

A process that serves no sockets (a management command, a worker, the shell)
publishes no snapshot; with Redis, the events it publishes are counted in a
shared hash instead (``Shipper``), so the totals include them.

``cluster()`` merges the live processes' snapshots into what ``/api/ws/stats``,
``/metrics``, the admin page and ``manage.py realtime_stats`` show.

One module per concern, each importing at load only those listed before it (the
counters start the publisher with a deferred import):

- ``histogram``: the latency buckets, percentiles, the buckets' form in a snapshot;
- ``stores``: the shared store, Redis or the database, and the TTL;
- ``shipping``: the counts of processes that serve no sockets, shipped to Redis;
- ``counting``: this process's counters, open sockets and latency histogram;
- ``sampling``: its per-second history, latency window and snapshot;
- ``publisher``: the task that writes the snapshot every ``STATS_INTERVAL``;
- ``merge``: the live processes read back and merged (``collect``, ``cluster``).

Callers use the names below as ``stats.X``; the modules are the place to patch.
"""

from __future__ import annotations

from typing import Any

from . import shipping
from .counting import (
    connection_closed,
    connection_moved,
    connection_opened,
    connections,
    counters,
    incr,
    latency,
    open_connections,
    record_deliveries,
    record_delivery,
)
from .histogram import BOUNDS, PROMETHEUS_BOUNDS, Histogram, dense, percentile, sparse
from .merge import cluster, collect, figures, latency_figures, merge_history, summarize
from .publisher import ensure_publishing, publish_forever
from .sampling import HISTORY_SECONDS, HOST, LATENCY_WINDOW, STARTED, Sampler, sampler, snapshot
from .shipping import SHIPPED, Shipper
from .stores import DatabaseStore, RedisStore, store, ttl

__all__ = [
    "BOUNDS", "HISTORY_SECONDS", "HOST", "LATENCY_WINDOW", "PROMETHEUS_BOUNDS", "SHIPPED",
    "STARTED", "DatabaseStore", "Histogram", "RedisStore", "Sampler", "Shipper", "cluster",
    "collect", "connection_closed", "connection_moved", "connection_opened", "connections",
    "counters", "dense", "ensure_publishing", "figures", "incr", "latency", "latency_figures",
    "merge_history", "open_connections", "percentile", "publish_forever",
    "record_deliveries", "record_delivery", "sampler", "shipper", "snapshot", "sparse", "store",
    "summarize", "ttl",
]


def __getattr__(name: str) -> Any:
    """``shipper`` is read from ``shipping`` at each access rather than bound here: it can
    be replaced there (a test takes a fresh one), and ``stats.shipper`` must stay the one
    ``incr`` ships through."""
    if name == "shipper":
        return shipping.shipper
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
