"""Connection and event figures: counted per process, merged across processes.

Every server process counts in memory: the consumer and ``publish`` call the
functions below, and ``record_delivery`` runs on the fan-out path, so it is one
increment and one histogram bucket. Once a process has opened a socket, a task
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
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import socket
import threading
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from .conf import setting

logger = logging.getLogger("realtime.stats")

STARTED = time.time()
HOST = socket.gethostname()
# Seconds of per-second history kept for the charts, and of deliveries behind
# the latency percentiles.
HISTORY_SECONDS = 300
LATENCY_WINDOW = 60

_lock = threading.Lock()
counters: Counter[str] = Counter()
connections: Counter[str] = Counter()  # open sockets by role


# Delivery latency, event creation to socket send, in seconds: ten buckets per
# decade from 0.1 ms to 100 s, so a percentile interpolated inside one is off by
# a few percent at most. Prometheus gets the 1-2.5-5 subset.
_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
BOUNDS: tuple[float, ...] = (
    *(round(step * 10.0**exp, 6) for exp in range(-4, 2) for step in _STEPS), 100.0)
PROMETHEUS_BOUNDS: tuple[float, ...] = tuple(
    bound for bound in BOUNDS if f"{bound:.1e}"[:3] in {"1.0", "2.5", "5.0"})


class Histogram:
    """Counts per latency bucket (the last one is above ``BOUNDS[-1]``) and their sum."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(BOUNDS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BOUNDS, seconds)] += 1
        self.sum += seconds


latency = Histogram()


# Counting: what the consumer, publish and the server call.


# What a process that serves no sockets (a management command, a worker, the shell)
# publishes would die with it; with Redis those counts are shipped to a shared hash.
SHIPPED = ("events.", "publish.failures")
_serving = False  # this process publishes snapshots: it has served a socket


def incr(name: str, amount: int = 1) -> None:
    if not _serving and name.startswith(SHIPPED) and getattr(settings, "REDIS_URL", ""):
        shipper.add(name, amount)
        return
    with _lock:
        counters[name] += amount


def connection_opened(role: str) -> None:
    with _lock:
        connections[role] += 1
        counters["connects"] += 1
    ensure_publishing()


def connection_closed(role: str, code: int | None) -> None:
    with _lock:
        connections[role] -= 1
        if connections[role] <= 0:
            del connections[role]
        counters[f"disconnects.{code}"] += 1


def connection_moved(old_role: str, new_role: str) -> None:
    """An open socket changed role (``auth``): count it under the new one."""
    with _lock:
        connections[old_role] -= 1
        if connections[old_role] <= 0:
            del connections[old_role]
        connections[new_role] += 1


def record_batch() -> None:
    """One ``batch`` frame written to a socket: its events are counted as deliveries too.

    Deliveries over writes is how much a burst was batched (the fan-out path: no lock).
    """
    counters["frames.batch"] += 1


def record_delivery(message: dict[str, Any], _now: Any = time.time,
                    _bucket: Any = bisect_left, _bounds: tuple[float, ...] = BOUNDS) -> None:
    """One event frame handed to a socket; on the fan-out path, so kept cheap.

    ``message["at"]`` is the event's creation time (epoch seconds): every
    delivery lands in the latency histogram, one bucket increment (about 0.3 µs
    in all, ``Histogram.observe`` inlined).
    """
    counters["deliveries"] += 1
    at = message.get("at")
    if at is not None:
        seconds = _now() - at
        if seconds > 0:
            latency.counts[_bucket(_bounds, seconds)] += 1
            latency.sum += seconds
        else:  # a clock behind the publisher's
            latency.counts[0] += 1


def open_connections() -> int:
    return sum(connections.values())


def _by_namespace() -> dict[str, int]:
    """Open sockets subscribed to each namespace, read from this process's sockets."""
    from .limits import registry

    counts: Counter[str] = Counter()
    for consumer in list(registry.sockets):
        counts.update(list(getattr(consumer, "subscriptions", ())))
    return dict(counts)


# Sampling: history and latency window, taken by the publisher task.


class Sampler:
    """Per-second samples of this process: connections, events, deliveries, latency."""

    def __init__(self) -> None:
        # (second, open sockets, events published, deliveries), cumulative counts.
        self.history: deque[tuple[int, int, int, int]] = deque(maxlen=HISTORY_SECONDS + 1)
        # (time, latency counts): the oldest one at least LATENCY_WINDOW old is the base.
        self.latency: deque[tuple[float, list[int]]] = deque([(STARTED, [0] * len(latency.counts))])

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with _lock:
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


def _sparse(counts: list[int]) -> list[list[int]]:
    return [[index, n] for index, n in enumerate(counts) if n]


def _dense(pairs: Iterable[list[int]]) -> list[int]:
    counts = [0] * (len(BOUNDS) + 1)
    for index, n in pairs:
        if 0 <= index < len(counts):
            counts[index] += n
    return counts


def snapshot() -> dict[str, Any]:
    """This process's figures, as it writes them to the shared store."""
    from .process import PROCESS_ORIGIN

    now = time.time()
    with _lock:
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
        "latency": {"counts": _sparse(latency.counts), "sum": latency.sum,
                    "window": _sparse(window), "windowSeconds": round(window_seconds, 1)},
        "history": sampler.series(),
    }


# The shared store: Redis keys with a TTL, or ProcessStats rows.


def ttl() -> float:
    """Seconds a snapshot counts as live: five publishing intervals."""
    return 5 * setting("STATS_INTERVAL")


def _prefix() -> str:
    return f"{setting('GROUP_PREFIX')}:stats"


class RedisStore:
    """One key per process (``<GROUP_PREFIX>:stats:<origin>``, expiring after the TTL),
    and a sorted set of the origins so readers need no SCAN."""

    backend = "redis"
    _sync_clients: dict[str, Any] = {}
    _async_clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def __init__(self, url: str) -> None:
        self.url = url

    def _index(self) -> str:
        return f"{_prefix()}:processes"

    def _key(self, origin: str) -> str:
        return f"{_prefix()}:{origin}"

    def _sync(self) -> Any:
        client = self._sync_clients.get(self.url)
        if client is None:
            import redis

            client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
            self._sync_clients[self.url] = client
        return client

    def _async(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2,
                                             socket_timeout=2)
            self._async_clients[loop] = client
        return client

    async def awrite(self, snap: dict[str, Any]) -> None:
        now, millis = time.time(), int(ttl() * 1000)
        async with self._async().pipeline(transaction=False) as pipe:
            pipe.set(self._key(snap["origin"]), json.dumps(snap), px=millis)
            pipe.zadd(self._index(), {snap["origin"]: now + ttl()})
            pipe.zremrangebyscore(self._index(), "-inf", now)
            pipe.pexpire(self._index(), millis)
            await pipe.execute()

    def read(self) -> list[dict[str, Any]]:
        client = self._sync()
        origins = [o.decode() for o in client.zrange(self._index(), 0, -1)]
        if not origins:
            return []
        return [json.loads(raw) for raw in client.mget([self._key(o) for o in origins]) if raw]

    def delete(self, origin: str) -> None:
        client = self._sync()
        client.delete(self._key(origin))
        client.zrem(self._index(), origin)

    def add_external(self, counts: dict[str, int]) -> None:
        with self._sync().pipeline(transaction=False) as pipe:
            for name, n in counts.items():
                pipe.hincrby(f"{_prefix()}:external", name, n)
            pipe.execute()

    def read_external(self) -> dict[str, int]:
        raw = self._sync().hgetall(f"{_prefix()}:external")
        return {name.decode(): int(n) for name, n in raw.items()}


class DatabaseStore:
    """One ``ProcessStats`` row per process, upserted; rows older than the TTL are
    ignored by readers and deleted by writers after an hour."""

    backend = "database"
    PURGE_AFTER = timedelta(hours=1)

    def __init__(self) -> None:
        self.writes = 0

    def write(self, snap: dict[str, Any]) -> None:
        from .models import ProcessStats

        now = datetime.fromtimestamp(snap["updatedAt"], UTC)
        ProcessStats.objects.bulk_create(
            [ProcessStats(origin=snap["origin"], pid=snap["pid"], host=snap["host"],
                          updated_at=now, snapshot=snap)],
            update_conflicts=True, unique_fields=["origin"],
            update_fields=["pid", "host", "updated_at", "snapshot"])
        if self.writes % 60 == 0:
            ProcessStats.objects.filter(updated_at__lt=now - self.PURGE_AFTER).delete()
        self.writes += 1

    async def awrite(self, snap: dict[str, Any]) -> None:
        # Not the thread-sensitive executor the consumers' queries share: a write
        # waiting on a busy SQLite file must not hold them up.
        await asyncio.get_running_loop().run_in_executor(None, self._write_closing, snap)

    def _write_closing(self, snap: dict[str, Any]) -> None:
        from django.db import close_old_connections

        close_old_connections()
        try:
            self.write(snap)
        finally:
            close_old_connections()

    def read(self) -> list[dict[str, Any]]:
        from .models import ProcessStats

        fresh = datetime.now(UTC) - timedelta(seconds=ttl())
        return [row.snapshot for row in ProcessStats.objects.filter(updated_at__gte=fresh)]

    def delete(self, origin: str) -> None:
        from .models import ProcessStats

        ProcessStats.objects.filter(origin=origin).delete()

    def read_external(self) -> dict[str, int]:
        """Nothing: without Redis, the server's event-log bridge counts other processes'
        events as it relays them."""
        return {}


def store() -> RedisStore | DatabaseStore:
    """Redis when ``REDIS_URL`` is set, the database otherwise."""
    url = getattr(settings, "REDIS_URL", "")
    return RedisStore(url) if url else DatabaseStore()


# The publisher task: one per process, started lazily on the running loop.

_publisher: asyncio.Task | None = None


def ensure_publishing() -> None:
    """Start sampling and publishing on the running loop, once per process (and loop)."""
    global _publisher, _serving
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    _serving = True
    if _publisher is None or _publisher.done() or _publisher.get_loop() is not loop:
        _publisher = loop.create_task(publish_forever(), name="realtime-stats")


async def publish_forever() -> None:
    target = store()
    _forget_at_exit(target)
    failing = False
    while True:
        await asyncio.sleep(setting("STATS_INTERVAL"))
        sampler.tick()
        try:
            await target.awrite(snapshot())
        except Exception:
            if not failing:
                logger.warning("stats store (%s) write failed; this process is missing from "
                               "the cluster's stats until it recovers", target.backend,
                               exc_info=True)
            failing = True
        else:
            if failing:
                logger.warning("stats store (%s) writable again", target.backend)
            failing = False


class Shipper:
    """Counts of a process that serves no sockets, added to the shared hash
    ``<GROUP_PREFIX>:stats:external`` every ``STATS_INTERVAL`` by a daemon thread
    (never on the caller's path) and once more at exit."""

    def __init__(self) -> None:
        self.pending: Counter[str] = Counter()
        self.thread: threading.Thread | None = None

    def add(self, name: str, amount: int) -> None:
        with _lock:
            self.pending[name] += amount
            start = self.thread is None
            if start:
                self.thread = threading.Thread(target=self.run, daemon=True,
                                               name="realtime-stats-shipper")
        if start:
            self.thread.start()
            atexit.register(self.flush_bounded)

    def run(self) -> None:
        while True:
            time.sleep(setting("STATS_INTERVAL"))
            self.flush()

    def flush(self) -> None:
        url = getattr(settings, "REDIS_URL", "")
        with _lock:
            if not url or not self.pending:
                return
            batch, self.pending = self.pending, Counter()
        try:
            RedisStore(url).add_external(batch)
        except Exception:
            logger.warning("could not ship %s counts to Redis; retrying", sum(batch.values()),
                           exc_info=True)
            with _lock:
                self.pending.update(batch)

    def flush_bounded(self) -> None:
        worker = threading.Thread(target=self.flush, daemon=True)
        worker.start()
        worker.join(2)


shipper = Shipper()

_registered_exit = False


def _forget_at_exit(target: RedisStore | DatabaseStore) -> None:
    """At a clean exit remove this process's snapshot now rather than after the TTL."""
    global _registered_exit
    if _registered_exit:
        return
    _registered_exit = True
    from django.db import connection

    from .process import PROCESS_ORIGIN

    database = connection.settings_dict.get("NAME")

    def forget() -> None:
        # Only where this process wrote (a test run's database is gone by now).
        if isinstance(target, DatabaseStore) and connection.settings_dict.get("NAME") != database:
            return
        try:
            target.delete(PROCESS_ORIGIN)
        except Exception:  # noqa: BLE001 - best effort; the TTL removes it anyway
            pass

    def bounded() -> None:
        # A locked SQLite file must not hold up the shutdown for its busy timeout.
        worker = threading.Thread(target=forget, daemon=True)
        worker.start()
        worker.join(2)

    atexit.register(bounded)


# Reading: the live processes, merged.


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
        row_window = _dense(row.get("latency", {}).get("window", []))
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
        "events": _group(counts, "events.", "byType"),
        "publishFailures": counts.get("publish.failures", 0),
        "deliveries": counts.get("deliveries", 0),
        "errors": _group(counts, "errors.", "byCode"),
        "refused": _group(counts, "refused.", "byReason"),
        "slowReadersDropped": counts.get("dropped.slow_reader", 0),
        "latency": latency_figures(window),
        "counters": dict(sorted(counts.items())),
    }


def percentile(counts: list[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) in seconds, interpolated inside its bucket; None if empty."""
    total = sum(counts)
    if not total:
        return None
    rank = q * total
    seen = 0
    for index, n in enumerate(counts):
        if n and seen + n >= rank:
            lower = BOUNDS[index - 1] if index else 0.0
            upper = BOUNDS[index] if index < len(BOUNDS) else BOUNDS[-1]
            return lower + (upper - lower) * max(rank - seen, 0) / n
        seen += n
    return BOUNDS[-1]


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
