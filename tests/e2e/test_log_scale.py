"""The event log at 1,000,000 rows on PostgreSQL: resumes stay index reads.

A resume reads "the namespace's events after ``since``" (staff) or "one customer's"
(``realtime/replay.py``), at most ``MAX_REPLAY`` + 1 rows. Served by the partial
indexes ``realtime_ev_replay`` and ``realtime_ev_replay_owner`` that is a short
index range; without them PostgreSQL walks the primary key from ``since`` and
filters, which for a customer with few events means most of the log. The plans
come from the planner's statistics, so they are checked on a log of realistic size:
1M rows over three namespaces and 1,000 customers, a few addressed to a user, a role
or everyone (outside the partial indexes), spread over 30 days.

The SQL explained is the one Django runs: ``replay_query()``'s compiled SQL and
parameters, executed in a ``manage.py shell`` against that database. The measured
times are printed (``-s``), not asserted; docs/operations.md quotes them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import PostgresServer, Project

pytestmark = pytest.mark.e2e

ROWS = 1_000_000
OWNERS = 1_000
BURST, BURST_ROWS = 800_000, 190_000

# One statement: numbered on after whatever seed_demo logged, as the sequencer would.
# Positions up to BURST: orders, products and payments in turn, the orders and
# payments of OWNERS customers, a few addressed to a user, a role or everyone. Then
# a stock import's BURST_ROWS product events in a row, then the mix again.
FILL = f"""
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute('''
        INSERT INTO realtime_event (id, namespace, type, payload, owner_id, user_id,
                                    target_role, everyone, origin, created_at)
        SELECT base.last + g,
               CASE WHEN burst THEN 'products'
                    ELSE (ARRAY['orders', 'products', 'payments'])[1 + g % 3] END,
               CASE WHEN burst THEN 'product:updated'
                    ELSE (ARRAY['order:updated', 'product:updated', 'payment:received'])[1 + g % 3]
               END,
               jsonb_build_object('id', g, 'status', 'paid', 'total', '10.00'),
               CASE WHEN NOT burst AND g % 3 <> 1 THEN 1 + (g / 3) % {OWNERS} END,
               CASE WHEN g % 211 = 0 THEN 1 + g % 50 END,
               CASE WHEN g % 307 = 0 THEN 'staff' ELSE '' END,
               g % 401 = 0,
               'scale-test',
               now() - interval '30 days' * (1 - g::float8 / {ROWS})
        FROM generate_series(1, {ROWS}) AS g
             CROSS JOIN LATERAL (SELECT g > {BURST} AND g <= {BURST + BURST_ROWS} AS burst) AS b,
             (SELECT coalesce(max(id), 0) AS last FROM realtime_event) AS base
    ''')
    cursor.execute("UPDATE realtime_watermark SET value = (SELECT max(id) FROM realtime_event)"
                   " WHERE name = 'sequence'")
    cursor.execute("ANALYZE realtime_event")
    cursor.execute("SELECT max(id) - {ROWS}, max(id), count(*) FROM realtime_event")
    print(list(cursor.fetchone()))
"""

# Each resume explained three times (the first may read cold pages); every plan kept.
EXPLAIN = """
import json
from django.db import connection
from realtime.conf import setting
from realtime.replay import replay_query

cases = json.loads({cases!r})
plans = {{}}
with connection.cursor() as cursor:
    for name, (namespace, since, owner) in cases.items():
        query = replay_query(namespace, since, owner)[: setting("MAX_REPLAY") + 1].query
        sql, params = query.sql_with_params()
        plans[name] = []
        for _ in range(3):
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
            plans[name].append(cursor.fetchone()[0][0])
print(json.dumps(plans))
"""


@pytest.fixture(scope="module")
def big_log(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Project, int, int]]:
    """A migrated, seeded database with 1M more events; (project, the position before
    them, the last position)."""
    workdir: Path = tmp_path_factory.mktemp("log-scale")
    project = Project.create(workdir, database_url=postgres_server.database("log_scale"))
    started = time.monotonic()
    base, last, total = json.loads(project.shell(FILL).strip().splitlines()[-1])
    print(f"\n{ROWS:,} events inserted and analysed in {time.monotonic() - started:.1f} s")
    assert total >= ROWS
    yield project, base, last


def nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from nodes(child)


def indexes(plan: dict[str, Any]) -> set[str]:
    """Every index the plan scans."""
    return {node["Index Name"] for node in nodes(plan) if "Index Name" in node}


def rows_read(plan: dict[str, Any]) -> int:
    """Rows the scans produced or read and threw away: the work, whatever the plan."""
    return sum(node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
               + node.get("Rows Removed by Index Recheck", 0)
               for node in nodes(plan) if "Scan" in node["Node Type"])


def shape(plan: dict[str, Any]) -> str:
    return " > ".join(node["Node Type"] + (f" on {node['Index Name']}" if "Index Name" in node
                                           else "") for node in nodes(plan))


def test_resumes_over_a_million_events_read_the_partial_indexes(big_log) -> None:
    """Every resume reads only rows it returns, through its partial index.

    One exception, by the planner's choice: a staff resume from close to the end may
    walk the primary key over the few thousand rows after ``since`` and sort the
    namespace's; that reads no more than the log's tail, which is small there.
    """
    project, base, last = big_log
    owner = OWNERS // 2
    since = {"near the start": base + 1_000, "before the burst": base + BURST - 1_000,
             "near the end": last - 3_000}
    cases = {f"{who}, since {when}": ("orders", position, owner if who == "customer" else None)
             for who in ("customer", "staff") for when, position in since.items()}
    started = time.monotonic()
    plans = json.loads(project.shell(EXPLAIN.format(cases=json.dumps(cases)))
                       .strip().splitlines()[-1])
    print(f"explained in {time.monotonic() - started:.1f} s")
    wrong = {}
    for name, runs in plans.items():
        _, position, customer = cases[name]
        expected = "realtime_ev_replay_owner" if customer is not None else "realtime_ev_replay"
        plan = runs[-1]["Plan"]
        times = ", ".join(f"{run['Execution Time']:.3f}" for run in runs)
        print(f"{name}: {plan['Actual Rows']} rows returned, {rows_read(plan)} read, "
              f"execution {times} ms ({shape(plan)})")
        for run in runs:
            used, read = indexes(run["Plan"]), rows_read(run["Plan"])
            if used == {expected} and read == run["Plan"]["Actual Rows"]:
                continue
            if name == "staff, since near the end" and used <= {expected, "realtime_event_pkey"} \
                    and read <= last - position:
                continue
            wrong[name] = f"expected {expected}: {shape(run['Plan'])}, {read} rows read"
    assert wrong == {}, json.dumps(wrong, indent=1)


PRUNE = """
import json, time
from datetime import timedelta
from realtime.retention import PRUNE_BATCH, prune_batch, prune_target, pruned_through

from django.db import connection
from django.test.utils import CaptureQueriesContext

started = time.perf_counter()
with CaptureQueriesContext(connection) as queries:
    through = prune_target(timedelta(days={days}))
target_ms = (time.perf_counter() - started) * 1000
with connection.cursor() as cursor:
    cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + queries[-1]["sql"])
    target_plan = cursor.fetchone()[0][0]
batches, done = [], 0
while done < through:
    started = time.perf_counter()
    deleted, done = prune_batch(through, after=done)
    batches.append((deleted, (time.perf_counter() - started) * 1000))
print(json.dumps({{"through": through, "target_ms": target_ms, "target_plan": target_plan,
                  "batches": batches,
                  "pruned": pruned_through(), "batch": PRUNE_BATCH}}))
"""


def test_a_prune_of_the_big_log_goes_in_short_batches(big_log) -> None:
    """The oldest tenth of the log (three days' worth here) in batches of PRUNE_BATCH
    positions, each its own transaction; runs after the plans above."""
    project, base, last = big_log
    result = json.loads(project.shell(PRUNE.format(days=27)).strip().splitlines()[-1])
    batches = result["batches"]
    deleted = sum(count for count, _ in batches)
    print(f"prune target in {result['target_ms']:.1f} ms; {deleted} events in "
          f"{len(batches)} batches of at most {result['batch']}, "
          f"{max(ms for _, ms in batches):.0f} ms the longest, "
          f"{sum(ms for _, ms in batches) / 1000:.1f} s in all")
    target = result["target_plan"]
    print(f"prune target plan: {shape(target['Plan'])}, {rows_read(target['Plan'])} rows read, "
          f"execution {target['Execution Time']:.3f} ms")
    # The newest old event straight from the created_at index, not a walk back through
    # the 900,000 events that are kept.
    assert indexes(target["Plan"]) == {"realtime_ev_created"}, shape(target["Plan"])
    assert rows_read(target["Plan"]) < 100
    assert result["pruned"] == result["through"]
    assert base + ROWS // 10 - 1_000 < result["through"] < base + ROWS // 10 + 1_000
    assert all(count <= result["batch"] for count, _ in batches) and len(batches) >= 10
    assert deleted == result["through"]  # every position from 1 through it, seed_demo's too
