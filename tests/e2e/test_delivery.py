"""Exact delivery under concurrent PostgreSQL writers with long transactions.

Four writer processes save orders, a quarter of their transactions holding 0.3-1.5 s
before they commit, so event rows commit out of the order they were inserted in. Two
server processes share the database, without Redis (the event-log bridge relays the
writers' events) and with Redis. A client connected the whole time, and a client that
reconnects every 0.2-1 s with ``since`` = the last id it saw, must each receive every
committed event of the namespace exactly once, in one order, the same for both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from itertools import count

import pytest

from tests.support.delivery import describe, order_ids, reconnecting_client
from tests.support.servers import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    DaphneServer,
    Project,
    RedisServer,
    until,
)
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e

WRITERS = 4
ORDERS_PER_WRITER = 25
_databases = count()


def committed_order_events(project: Project, after: int) -> list[int]:
    out = project.shell(
        "import json\nfrom realtime.models import Event\n"
        f"print(json.dumps(list(Event.objects.filter(namespace='orders', id__gt={after})"
        ".order_by('id').values_list('id', flat=True))))")
    return json.loads(out.strip().splitlines()[-1])


def start_writers(project: Project) -> list[subprocess.Popen]:
    return [subprocess.Popen([PYTHON, "-m", "tests.support.writer", "--orders",
                              str(ORDERS_PER_WRITER), "--seed", str(seed)],
                             cwd=ROOT, env=project.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for seed in range(WRITERS)]


@pytest.fixture(params=["bridge", "redis"])
def deployment(request, postgres_server, tmp_path):
    redis = RedisServer.start(tmp_path) if request.param == "redis" else None
    database_url = postgres_server.database(f"delivery_{request.param}_{next(_databases)}")
    project = Project.create(tmp_path, redis_url=redis and redis.url,
                             database_url=database_url)
    servers = [DaphneServer.start(project), DaphneServer.start(project)]
    yield project, servers
    for server in servers:
        server.stop()
    if redis is not None:
        redis.stop()


async def test_every_committed_event_reaches_steady_and_resuming_clients_once_in_order(
        deployment):
    project, servers = deployment
    token_of = {name: fetch_token(servers[0].http, name, DEMO_PASSWORD)
                for name in ("admin", "manager")}
    steady = await WS.open(f"{servers[0].ws}/api/ws", token=token_of["admin"])
    start = (await steady.subscribe("orders"))["data"]["lastEventId"]

    done = asyncio.Event()
    resuming = asyncio.create_task(
        reconnecting_client(servers, token_of["manager"], start, done, seed=7))
    writers = start_writers(project)
    for writer in writers:
        out, err = await asyncio.to_thread(writer.communicate, timeout=180)
        assert writer.returncode == 0, err
        assert int(out.strip()) == ORDERS_PER_WRITER
    expected = committed_order_events(project, after=start)
    assert len(expected) == WRITERS * ORDERS_PER_WRITER * 3

    # Then the figures below tell what went missing, rather than a timeout.
    with contextlib.suppress(TimeoutError):
        await until(lambda: len(order_ids(steady)) >= len(expected), timeout=20,
                    what="the steady client to receive every event")
    done.set()
    resumer = await asyncio.wait_for(resuming, 60)
    resumed, replies = resumer.seen, resumer.replies
    steady_ids = order_ids(steady)
    await steady.close()

    report = {name: describe(ids, expected)
              for name, ids in (("steady", steady_ids), ("resuming", resumed))}
    report["resuming"]["reconnects"] = len(replies)
    assert (steady_ids, resumed) == (expected, expected), report
    assert all(reply["data"]["recovered"] for reply in replies[1:])

