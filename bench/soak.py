"""A delivery soak: writers with long transactions, Redis killed again and again, counted.

    .venv/bin/python -m bench.soak [--minutes 10] [--writers 4] [--outage 3]
        [--every 30] [--mode redis|bridge]

PostgreSQL and (in the ``redis`` mode) redis-server are started here on free
loopback ports, with two ``python -m realtime.server`` processes on them, exactly as
tests/e2e/test_delivery.py and tests/e2e/test_redis_faults.py do, but for as long as
asked: writer processes (tests/support/writer.py) keep saving orders, a quarter of
their transactions held 0.3-1.5 s; every ``--every`` seconds redis-server is killed
with SIGKILL and started again on the same port after ``--outage`` seconds. A client
stays connected to the first server the whole time; another reconnects every
0.2-1 s, alternating servers, resuming with ``since``. At the end the log is read and
both clients' events compared with it: delivered/expected, duplicates, out of order.
The result is printed as JSON and written to bench/results/soak-<date>.json. It stops
by itself after ``--minutes``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from tests.support.delivery import describe, order_ids, reconnecting_client
from tests.support.servers import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    DaphneServer,
    PostgresServer,
    Project,
    RedisServer,
    until,
)
from tests.support.wsclient import WS, fetch_token

RESULTS = Path(__file__).parent / "results"


async def writer_loop(project: Project, seed: int, deadline: float) -> int:
    """One writer slot: writer processes one after the other until the deadline."""
    committed = 0
    while time.monotonic() < deadline:
        process = await asyncio.create_subprocess_exec(
            PYTHON, "-m", "tests.support.writer", "--orders", "20", "--seed", str(seed),
            cwd=ROOT, env=project.env, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        out, _ = await process.communicate()
        committed += int(out.strip() or 0) if process.returncode == 0 else 0
        seed += 1000
    return committed


async def writers_until(project: Project, count: int, deadline: float) -> int:
    """``count`` writers at a time until the deadline; the transactions they committed."""
    return sum(await asyncio.gather(*(writer_loop(project, seed, deadline)
                                      for seed in range(count))))


async def redis_faults(redis: RedisServer, workdir: Path, every: float, outage: float,
                       deadline: float) -> int:
    kills = 0
    while time.monotonic() + every < deadline:
        await asyncio.sleep(every)
        redis.kill()
        kills += 1
        await asyncio.sleep(outage)
        redis.restart(workdir)
    return kills


async def soak(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="omni-soak-"))
    postgres = PostgresServer.start(workdir)
    redis = RedisServer.start(workdir) if args.mode == "redis" else None
    project = Project.create(workdir / "project", redis_url=redis and redis.url,
                             database_url=postgres.database("soak"))
    servers = [DaphneServer.start(project), DaphneServer.start(project)]
    try:
        tokens = {name: fetch_token(servers[0].http, name, DEMO_PASSWORD)
                  for name in ("admin", "manager")}
        steady = await WS.open(f"{servers[0].ws}/api/ws", token=tokens["admin"])
        start = (await steady.subscribe("orders"))["data"]["lastEventId"]
        deadline = time.monotonic() + args.minutes * 60
        done = asyncio.Event()
        client = asyncio.create_task(
            reconnecting_client(servers, tokens["manager"], start, done, seed=1))
        faults = (asyncio.create_task(redis_faults(redis, workdir, args.every, args.outage,
                                                   deadline))
                  if redis is not None else None)
        committed = await writers_until(project, args.writers, deadline)
        kills = await faults if faults is not None else 0
        out = project.shell(
            "import json\nfrom realtime.models import Event\n"
            f"print(json.dumps(list(Event.objects.filter(namespace='orders', id__gt={start})"
            ".order_by('id').values_list('id', flat=True))))")
        expected = json.loads(out.strip().splitlines()[-1])
        with contextlib.suppress(TimeoutError):
            await until(lambda: len(order_ids(steady)) >= len(expected), timeout=60)
        done.set()
        resumer = await asyncio.wait_for(client, 120)
        result = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "mode": args.mode, "minutes": args.minutes, "writers": args.writers,
            "transactions": committed, "redis_kills": kills, "outage_s": args.outage,
            "steady": describe(order_ids(steady), expected),
            "resuming": {**describe(resumer.seen, expected),
                         "reconnects": len(resumer.replies), "resets": resumer.resets},
        }
        await steady.close()
        return result
    finally:
        for server in servers:
            server.stop()
        if redis is not None:
            redis.stop()
        postgres.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--every", type=float, default=30, help="seconds between Redis kills")
    parser.add_argument("--outage", type=float, default=3, help="seconds Redis stays down")
    parser.add_argument("--mode", choices=["redis", "bridge"], default="redis")
    result = asyncio.run(soak(parser.parse_args()))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"soak-{dt.datetime.now(dt.UTC):%Y-%m-%d-%H%M%S}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
