"""realtime.stats: counting, latency percentiles, history, the shared stores, merging."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from realtime import stats
from realtime.messages import EVENT, Message
from realtime.models import ProcessStats
from realtime.publish import PROCESS_ORIGIN
from realtime.stats import counting, publisher, shipping
from tests.support.servers import RedisServer


def raw(origin: str, *, pid: int = 1, host: str = "h", roles: dict | None = None,
        namespaces: dict | None = None, counters: dict | None = None,
        window: list[list[int]] | None = None, history: dict | None = None,
        started: float | None = None, updated: float | None = None) -> dict[str, Any]:
    """A process snapshot as ``stats.snapshot()`` writes it."""
    now = time.time()
    roles = roles or {}
    return {
        "origin": origin, "pid": pid, "host": host,
        "startedAt": now - 100 if started is None else started,
        "updatedAt": now if updated is None else updated,
        "uptime": 100.0,
        "connections": {"total": sum(roles.values()), "byRole": roles,
                        "byNamespace": namespaces or {}},
        "counters": counters or {},
        "latency": {"counts": window or [], "sum": 0.0, "window": window or [],
                    "windowSeconds": 60.0},
        "history": history or {"end": int(now), "connections": [], "events": [],
                               "deliveries": []},
    }


def bucket(seconds: float) -> int:
    """The latency bucket index of a value."""
    histogram = stats.Histogram()
    histogram.observe(seconds)
    return histogram.counts.index(1)


# Latency buckets and percentiles


def test_bounds_are_increasing_and_prometheus_uses_a_subset() -> None:
    assert list(stats.BOUNDS) == sorted(set(stats.BOUNDS))
    assert stats.BOUNDS[0] == 0.0001 and stats.BOUNDS[-1] == 100.0
    assert set(stats.PROMETHEUS_BOUNDS) <= set(stats.BOUNDS)
    assert stats.PROMETHEUS_BOUNDS[:4] == (0.0001, 0.00025, 0.0005, 0.001)


def test_a_value_on_a_bound_falls_in_that_bucket_as_prometheus_le_does() -> None:
    assert bucket(0.001) == stats.BOUNDS.index(0.001)
    assert bucket(0.0010001) == stats.BOUNDS.index(0.001) + 1
    assert bucket(0.0) == 0
    assert bucket(1000.0) == len(stats.BOUNDS)  # above the last bound


def test_percentile_of_nothing_is_none() -> None:
    assert stats.percentile([0] * (len(stats.BOUNDS) + 1), 0.5) is None


def test_percentiles_are_close_to_the_exact_ones() -> None:
    histogram = stats.Histogram()
    values = [n / 1000 for n in range(1, 1001)]  # 1 ms .. 1 s, uniform
    for value in values:
        histogram.observe(value)
    for q in (0.5, 0.95, 0.99):
        exact = values[int(q * len(values)) - 1]
        assert stats.percentile(histogram.counts, q) == pytest.approx(exact, rel=0.05), q


def test_percentile_interpolates_inside_one_bucket() -> None:
    counts = [0] * (len(stats.BOUNDS) + 1)
    index = stats.BOUNDS.index(0.01)  # (0.008, 0.01]
    counts[index] = 4
    assert stats.percentile(counts, 0.5) == pytest.approx(0.009)
    assert stats.percentile(counts, 1.0) == pytest.approx(0.01)


def test_latency_figures_are_milliseconds() -> None:
    counts = [0] * (len(stats.BOUNDS) + 1)
    counts[stats.BOUNDS.index(0.002)] = 10
    figures = stats.latency_figures(counts)
    assert figures["samples"] == 10
    assert 1.5 < figures["p50"] <= 2.0 and figures["p99"] == pytest.approx(2.0, rel=0.01)


# Counting in this process


def test_record_delivery_counts_and_measures_from_the_event_creation() -> None:
    deliveries = stats.counters["deliveries"]
    before = list(stats.latency.counts)
    stats.record_delivery(Message(EVENT, 1, ("rt.orders",), ns="orders",
                                  at=time.time() - 0.02, text="{}"))
    assert stats.counters["deliveries"] == deliveries + 1
    changed = [i for i, (a, b) in enumerate(zip(before, stats.latency.counts, strict=True))
               if a != b]
    assert len(changed) == 1
    assert 0.02 <= stats.BOUNDS[changed[0]] < 0.03


def test_a_clock_ahead_counts_as_zero_latency() -> None:
    first = stats.latency.counts[0]
    stats.record_delivery(Message(EVENT, 2, (), at=time.time() + 5))
    assert stats.latency.counts[0] == first + 1


def test_connections_by_role_follow_open_move_and_close() -> None:
    before = stats.snapshot()["connections"]
    stats.connection_opened("guest")
    stats.connection_moved("guest", "staff")
    moved = stats.snapshot()["connections"]
    assert moved["total"] == before["total"] + 1
    assert moved["byRole"].get("staff", 0) == before["byRole"].get("staff", 0) + 1
    stats.connection_closed("staff", 1000)
    assert stats.snapshot()["connections"] == before
    assert stats.counters["disconnects.1000"] >= 1


def test_snapshot_names_this_process() -> None:
    snap = stats.snapshot()
    assert snap["origin"] == PROCESS_ORIGIN
    assert snap["pid"] > 0 and snap["host"]
    assert snap["uptime"] >= 0
    assert set(snap["latency"]) == {"counts", "sum", "window", "windowSeconds"}


# History and latency window


def test_series_fills_gaps_and_spreads_rates() -> None:
    sampler = stats.Sampler()
    sampler.history.extend([(100, 1, 10, 100), (101, 2, 13, 110), (104, 0, 19, 140)])
    series = sampler.series()
    assert series["end"] == 104
    assert series["connections"] == [2, 2, 2, 0]
    assert series["events"] == [3.0, 2.0, 2.0, 2.0]
    assert series["deliveries"] == [10.0, 10.0, 10.0, 10.0]


def test_tick_keeps_one_sample_per_second_and_a_bounded_history() -> None:
    sampler = stats.Sampler()
    for n in range(stats.HISTORY_SECONDS + 50):
        sampler.tick(1000.0 + n)
        sampler.tick(1000.5 + n)
    assert len(sampler.history) == stats.HISTORY_SECONDS + 1
    assert [s[0] for s in sampler.history][-2:] == [1000 + stats.HISTORY_SECONDS + 48,
                                                   1000 + stats.HISTORY_SECONDS + 49]
    assert len(sampler.series()["connections"]) == stats.HISTORY_SECONDS


def test_latency_window_forgets_deliveries_older_than_a_minute() -> None:
    sampler = stats.Sampler()
    now = time.time()
    sampler.latency.clear()
    old = list(stats.latency.counts)
    sampler.latency.append((now - 90, [0] * len(old)))
    sampler.tick(now - 61)  # the newest sample at least a minute old: the base
    sampler.tick(now - 1)
    sampler.tick(now)
    assert sampler.latency[0][0] == now - 61
    stats.record_delivery(Message(EVENT, 3, (), at=time.time() - 0.001))
    seconds, window = sampler.latency_window()
    assert 60 <= seconds < 63
    assert sum(window) == 1


def test_merge_history_aligns_processes_on_their_seconds() -> None:
    a = {"end": 200, "connections": [1, 2, 3], "events": [1.0, 1.0, 1.0],
         "deliveries": [0.0, 0.0, 5.0]}
    b = {"end": 199, "connections": [4, 4], "events": [2.0, 2.0], "deliveries": [1.0, 1.0]}
    merged = stats.merge_history([a, b])
    # b is a second behind: the merged series ends at its end, so nothing dips.
    assert merged["end"] == 199
    assert merged["connections"] == [5, 6]  # seconds 198 and 199
    assert merged["events"] == [3.0, 3.0]
    assert merged["deliveries"] == [1.0, 1.0]


def test_merge_history_carries_a_straggler_forward_only_for_connections() -> None:
    a = {"end": 300, "connections": [1, 1], "events": [1.0, 1.0], "deliveries": [0.0, 0.0]}
    late = {"end": 290, "connections": [5], "events": [9.0], "deliveries": [9.0]}
    merged = stats.merge_history([a, late])
    assert merged["end"] == 300
    assert merged["connections"][-2:] == [6, 6]
    assert merged["events"][-2:] == [1.0, 1.0]


def test_merge_history_of_nothing_is_empty() -> None:
    assert stats.merge_history([])["connections"] == []


# Merging processes


def test_summarize_totals_every_process_and_keeps_rows() -> None:
    i2 = stats.BOUNDS.index(0.002)
    rows = [
        {**raw("a", pid=10, roles={"admin": 1, "guest": 2}, namespaces={"orders": 2},
               counters={"connects": 5, "disconnects.1000": 2, "events.order:created": 3,
                         "deliveries": 7, "errors.bad_json": 1, "refused.max_connections": 1,
                         "frames.in": 9, "frames.rate_limited": 4, "auth.failures": 1,
                         "publish.failures": 2, "dropped.slow_reader": 1},
               window=[[i2, 10]]), "current": True},
        raw("b", pid=20, roles={"guest": 1}, namespaces={"orders": 1, "products": 1},
            counters={"connects": 1, "events.order:created": 1, "events.product:updated": 2,
                      "deliveries": 3}, window=[[i2, 10]]),
    ]
    data = stats.summarize(rows, {"backend": "redis", "ok": True})
    assert data["processCount"] == 2
    assert data["connections"] == {"total": 4, "byRole": {"admin": 1, "guest": 3},
                                   "byNamespace": {"orders": 3, "products": 1}}
    assert data["connects"] == 6
    assert data["disconnects"] == {"total": 2, "byCode": {"1000": 2}}
    assert data["events"] == {"total": 6, "byType": {"order:created": 4,
                                                     "product:updated": 2}}
    assert data["deliveries"] == 10
    assert data["errors"] == {"total": 1, "byCode": {"bad_json": 1}}
    assert data["refused"] == {"total": 1, "byReason": {"max_connections": 1}}
    assert (data["framesIn"], data["rateLimited"], data["authFailures"],
            data["publishFailures"], data["slowReadersDropped"]) == (9, 4, 1, 2, 1)
    assert data["latency"]["samples"] == 20
    assert data["counters"]["connects"] == 6
    assert [p["origin"] for p in data["processes"]] == ["a", "b"]
    assert [p["current"] for p in data["processes"]] == [True, False]
    assert data["processes"][1]["connections"]["total"] == 1
    assert data["processes"][1]["latency"]["samples"] == 10
    assert data["processes"][0]["uptime"] == pytest.approx(100, abs=2)
    assert data["uptime"] == pytest.approx(100, abs=2)
    assert data["store"] == {"backend": "redis", "ok": True}


# The database store (the embedded mode)


@pytest.fixture
def other_process(db: Any) -> Iterator[dict[str, Any]]:
    snap = raw("4242-otherprocess", pid=4242, host="elsewhere", roles={"staff": 2},
               counters={"connects": 2})
    stats.DatabaseStore().write(snap)
    yield snap


def test_the_database_store_upserts_one_row_per_process(other_process: dict) -> None:
    store = stats.DatabaseStore()
    store.write({**other_process, "counters": {"connects": 3}})
    assert ProcessStats.objects.count() == 1
    (row,) = store.read()
    assert row["counters"] == {"connects": 3}


def test_cluster_merges_this_process_with_the_others_it_reads(other_process: dict) -> None:
    data = stats.cluster()
    assert data["processes"][0]["origin"] == PROCESS_ORIGIN
    assert data["processes"][0]["current"] is True
    other = data["processes"][1]
    assert (other["origin"], other["pid"], other["host"]) == ("4242-otherprocess", 4242,
                                                              "elsewhere")
    assert other["connections"]["total"] == 2
    assert data["connections"]["total"] == 2 + stats.open_connections()
    assert data["store"]["backend"] == "database"


def test_a_management_command_leaves_itself_out(other_process: dict) -> None:
    data = stats.cluster(include_local=False)
    assert [p["origin"] for p in data["processes"]] == ["4242-otherprocess"]


def test_a_row_older_than_the_ttl_is_a_dead_process(other_process: dict) -> None:
    ProcessStats.objects.update(updated_at=datetime.now(UTC) - timedelta(seconds=6))
    assert stats.ttl() == 5.0
    assert stats.cluster(include_local=False)["processes"] == []


def test_this_process_own_row_is_replaced_by_its_live_figures(db: Any) -> None:
    stats.DatabaseStore().write(raw(PROCESS_ORIGIN, roles={"guest": 99}))
    data = stats.cluster()
    assert [p["origin"] for p in data["processes"]] == [PROCESS_ORIGIN]
    assert data["connections"]["total"] == stats.open_connections()


def test_rows_an_hour_old_are_purged_by_writers(db: Any) -> None:
    ProcessStats.objects.create(origin="gone", pid=1, host="h", snapshot={},
                                updated_at=datetime.now(UTC) - timedelta(hours=2))
    stats.DatabaseStore().write(raw("fresh"))
    assert list(ProcessStats.objects.values_list("origin", flat=True)) == ["fresh"]


def test_an_unreadable_store_shows_this_process_and_says_so(db: Any) -> None:
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        data = stats.cluster()
    assert data["store"]["backend"] == "redis" and data["store"]["ok"] is False
    assert [p["origin"] for p in data["processes"]] == [PROCESS_ORIGIN]


@pytest.mark.django_db(transaction=True)
async def test_the_publisher_writes_this_process_every_interval(realtime_settings: Any) -> None:
    realtime_settings(STATS_INTERVAL=0.05)
    stats.ensure_publishing()
    task = publisher._publisher
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            rows = await database_sync_to_async(
                lambda: list(ProcessStats.objects.filter(origin=PROCESS_ORIGIN)))()
            if rows:
                break
            await asyncio.sleep(0.05)
        assert rows, "no snapshot written"
        assert rows[0].snapshot["origin"] == PROCESS_ORIGIN
        stats.ensure_publishing()
        assert publisher._publisher is task  # one task per loop
    finally:
        task.cancel()


# The Redis store (production)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer.start(tmp_path_factory.mktemp("stats-redis"))
    yield server.url
    server.stop()


async def test_the_redis_store_expires_a_silent_process(redis_url: str,
                                                        realtime_settings: Any) -> None:
    realtime_settings(STATS_INTERVAL=0.1)  # TTL 0.5 s
    store = stats.RedisStore(redis_url)
    await store.awrite(raw("7-alive", pid=7, roles={"admin": 1}))
    await store.awrite(raw("8-dying", pid=8))
    assert sorted(r["origin"] for r in await asyncio.to_thread(store.read)) == ["7-alive",
                                                                               "8-dying"]
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        await store.awrite(raw("7-alive", pid=7, roles={"admin": 1}))
        origins = [r["origin"] for r in await asyncio.to_thread(store.read)]
        if origins == ["7-alive"]:
            break
    assert origins == ["7-alive"]
    await asyncio.to_thread(store.delete, "7-alive")
    assert await asyncio.to_thread(store.read) == []


def test_cluster_reads_redis_when_it_is_configured(redis_url: str, db: Any) -> None:
    store = stats.RedisStore(redis_url)
    asyncio.run(store.awrite(raw("9-remote", pid=9, host="far", roles={"customer": 3})))
    with override_settings(REDIS_URL=redis_url):
        data = stats.cluster(include_local=False)
    assert data["store"] == {"backend": "redis", "ok": True, "ttl": 5.0}
    assert data["connections"]["byRole"] == {"customer": 3}
    store.delete("9-remote")


# Processes that serve no sockets (commands, workers): their events, shipped to Redis


@pytest.fixture
def not_serving(monkeypatch: pytest.MonkeyPatch, redis_url: str) -> Iterator[str]:
    monkeypatch.setattr(counting, "_serving", False)
    monkeypatch.setattr(shipping, "shipper", stats.Shipper())
    with override_settings(REDIS_URL=redis_url):
        yield redis_url


def test_a_command_ships_its_event_counts_to_redis(not_serving: str, db: Any) -> None:
    local = stats.counters["events.order:created"]
    stats.incr("events.order:created")
    stats.incr("events.order:created")
    stats.incr("publish.failures")
    stats.incr("frames.in")  # not a publishing count: stays local
    assert stats.counters["events.order:created"] == local
    stats.shipper.flush()
    data = stats.cluster(include_local=False)
    assert data["processes"] == []
    assert data["events"]["byType"]["order:created"] >= 2
    assert data["external"]["events"]["byType"]["order:created"] >= 2
    assert data["external"]["publishFailures"] >= 1
    assert data["publishFailures"] >= 1
    rows, _ = stats.collect(include_local=False)
    assert rows[-1]["origin"] == "external" and rows[-1]["external"] is True


def test_shipping_retries_what_redis_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "_serving", False)
    monkeypatch.setattr(shipping, "shipper", stats.Shipper())
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        stats.incr("events.product:updated", 3)
        stats.shipper.flush()
    assert stats.shipper.pending == {"events.product:updated": 3}
    stats.shipper.pending.clear()  # nothing left for the exit flush


def test_a_server_counts_its_events_itself(monkeypatch: pytest.MonkeyPatch,
                                           redis_url: str) -> None:
    monkeypatch.setattr(counting, "_serving", True)
    before = stats.counters["events.order:updated"]
    with override_settings(REDIS_URL=redis_url):
        stats.incr("events.order:updated")
    assert stats.counters["events.order:updated"] == before + 1


def test_without_redis_nothing_is_shipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "_serving", False)
    monkeypatch.setattr(shipping, "shipper", stats.Shipper())
    before = stats.counters["events.order:deleted"]
    stats.incr("events.order:deleted")  # the embedded server's bridge counts these
    assert stats.counters["events.order:deleted"] == before + 1
    assert stats.shipper.thread is None
