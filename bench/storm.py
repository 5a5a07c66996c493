"""A reconnect storm: N subscribed sockets lose their server at once and come back.

    .venv/bin/python -m bench.storm [--sockets 5000] [--mode kill|restart]
        [--workers 4] [--events 40] [--target project|websockets|channels]

``kill``: two ``python -m realtime.server`` processes on Redis, the sockets spread over
both; one is SIGKILLed and its sockets move to the other. ``restart``: one process,
stopped with SIGTERM and started again on the same port. Every client reconnects as
the JS client does (full-jitter backoff: base 500 ms, cap 30 s, doubling per failed
try), authenticates with its token again and resubscribes to ``orders`` with ``since``
= the last event it saw. Meanwhile a shell saves ``--events`` orders, 50 ms apart,
starting as the storm does. Reported: the time from the loss until every socket has
resubscribed; the p50/p99 per-socket reconnect time (loss to ``subscribed``); the
events saved during the storm that every socket got, which must be all of them once
each (by replay or live); the surviving server's CPU per handshake. The clients run
in ``--workers`` processes of their own (``python -m bench.storm worker``), so their
CPU is not the server's. ``--target websockets|channels`` runs the same storm against
a yardstick of bench/targets.py, which has nothing to resume: it reconnects and
subscribes without ``since``, and what it missed meanwhile is missing. Written to
bench/results/storm-<target>-<mode>-<N>-<date>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.run import Profiler
from bench.targets import SERVER_ENV, ChannelsTarget, YardstickTarget, raise_nofile, sample
from tests.support.servers import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    DaphneServer,
    Project,
    RedisServer,
)
from tests.support.wsclient import fetch_token

BASE_S, CAP_S = 0.5, 30.0
# Once told the storm is over, how long a socket waits for the events it has not got.
DELIVERY_WAIT_S = 60.0


def backoff(tries: int, rng: random.Random) -> float:
    """The JS client's default (realtime/static/realtime/js/timer.js): full jitter."""
    return rng.random() * min(CAP_S, BASE_S * 2 ** max(0, tries - 1))


# The worker: a share of the sockets, in a process of its own


class Client:
    def __init__(self, ports: list[int], token: str, rng: random.Random,
                 resume: bool = True) -> None:
        self.ports, self.token, self.rng, self.resume = ports, token, rng, resume
        self.seen: list[int] = []  # ids of the orders whose order:created arrived
        self.since = 0
        self.lost_at: float | None = None
        self.reconnect_ms: float | None = None
        self.resubscribed_at: float | None = None
        self.ready = asyncio.Event()
        self.back = asyncio.Event()
        self.errors: dict[str, int] = {}
        # The ids saved during the storm, once known, and when the last of them arrived.
        self.expected: set[int] | None = None
        self.complete = asyncio.Event()
        self.complete_at: float | None = None

    async def run(self, finish: asyncio.Event) -> None:
        from websockets.asyncio.client import connect

        tries = 0
        port = self.rng.choice(self.ports)
        while not finish.is_set():
            try:
                async with connect(f"ws://127.0.0.1:{port}/api/ws", open_timeout=30,
                                   max_size=None, close_timeout=1) as conn:
                    await self.session(conn, finish)
                    return
            except Exception as exc:
                # Refused, reset, timed out, a handshake cut short (InvalidMessage) or
                # answered with an HTTP error (InvalidStatus): try again, as the JS
                # client does, and count why.
                self.errors[type(exc).__name__] = self.errors.get(type(exc).__name__, 0) + 1
                if self.lost_at is None and self.ready.is_set():
                    self.lost_at = time.time()
                tries += 1
                await asyncio.sleep(backoff(tries, self.rng))
                port = self.ports[(self.ports.index(port) + 1) % len(self.ports)]

    async def session(self, conn: Any, finish: asyncio.Event) -> None:
        await self.frame(conn, "connected")
        await conn.send(json.dumps({"type": "auth", "data": {"token": self.token}}))
        await self.frame(conn, "authenticated")
        data: dict[str, Any] = {"namespace": "orders"}
        if self.resume and self.since:
            data["since"] = self.since
        await conn.send(json.dumps({"type": "subscribe", "data": data}))
        subscribed = await self.frame(conn, "subscribed")
        if "since" in data and not subscribed["data"].get("recovered", False):
            raise AssertionError(f"resume from {self.since} not recovered: {subscribed}")
        # Where the live stream continues: the next resume starts there, as the JS
        # client's does, even if no event came before the next loss.
        self.since = max(self.since, subscribed["data"].get("lastEventId") or 0)
        if self.lost_at is not None:
            self.resubscribed_at = time.time()
            self.reconnect_ms = (self.resubscribed_at - self.lost_at) * 1000
            self.back.set()
        self.ready.set()
        reader = asyncio.create_task(self.read(conn))
        waiter = asyncio.create_task(finish.wait())
        try:
            done, _ = await asyncio.wait({reader, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if reader in done:
                raise ConnectionError("the server went away")
            # Late is not lost: wait (bounded) for the storm's events before leaving.
            waiting = asyncio.create_task(self.complete.wait())
            await asyncio.wait({reader, waiting}, timeout=DELIVERY_WAIT_S,
                               return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if reader.done():
                raise ConnectionError("the server went away")
            await conn.send(json.dumps({"type": "ping", "data": {}, "ref": "last"}))
            await asyncio.wait_for(reader, 30)
        finally:
            reader.cancel()
            waiter.cancel()

    async def frame(self, conn: Any, wanted: str) -> dict[str, Any]:
        while True:
            frame = json.loads(await asyncio.wait_for(conn.recv(), 60))
            if frame.get("type") == wanted:
                return frame
            await self.take(conn, frame)

    async def read(self, conn: Any) -> None:
        async for raw in conn:
            frame = json.loads(raw)
            if frame.get("type") == "pong" and frame.get("ref") == "last":
                return
            await self.take(conn, frame)

    async def take(self, conn: Any, frame: dict[str, Any]) -> None:
        if frame.get("type") == "ping":  # the server's heartbeat, answered as the JS client does
            await conn.send(json.dumps({"type": "pong", "data": frame.get("data") or {}}))
            return
        frames = frame["data"] if frame.get("type") == "batch" else [frame]
        for item in frames:
            if str(item.get("type", "")).startswith("order:"):
                self.since = max(self.since, item["id"])  # a position in the event log
            if item.get("type") == "order:created":
                data = item["data"]  # the order saved (a yardstick's counts from 1)
                self.seen.append(data.get("id", data.get("orderId")))
                self.check_complete()

    def check_complete(self) -> None:
        if (self.expected is not None and not self.complete.is_set()
                and self.expected <= set(self.seen)):
            self.complete_at = time.time()
            self.complete.set()


async def worker() -> None:
    """Reads its share as the first line on stdin (too long for the command line), then
    the expected ids as the second, once the storm is over."""
    loop = asyncio.get_running_loop()
    share = json.loads(await loop.run_in_executor(None, sys.stdin.readline))
    ports, tokens = share["ports"], share["tokens"]
    rng = random.Random(share["seed"])
    finish = asyncio.Event()
    clients = [Client(ports, token, random.Random(rng.random()), share.get("resume", True))
               for token in tokens]
    tasks = [asyncio.create_task(c.run(finish)) for c in clients]
    await asyncio.gather(*(c.ready.wait() for c in clients))
    print(json.dumps({"ready": len(clients)}), flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)  # the expected ids
    expected = set(json.loads(line))
    for c in clients:
        c.expected = expected
        c.check_complete()
    # Each client is back (or its task ended) before it is told to finish.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(
            *(c.back.wait() for c in clients if c.lost_at is not None)), 120)
    finish.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    delivered = sum(len(set(c.seen) & expected) for c in clients)
    # Who missed what: sockets that lost their server, or kept it; which events.
    missing = {"lost": 0, "kept": 0}
    missed_ids: Counter[int] = Counter()
    for c in clients:
        absent = expected - set(c.seen)
        missing["lost" if c.lost_at is not None else "kept"] += len(absent)
        missed_ids.update(absent)
    print(json.dumps({
        "sockets": len(clients), "expected": len(expected) * len(clients),
        "delivered": delivered, "dupes": sum(len(c.seen) - len(set(c.seen)) for c in clients),
        "lost": sum(c.lost_at is not None for c in clients),
        "resubscribed": sum(c.resubscribed_at is not None for c in clients),
        "reconnect_ms": [round(c.reconnect_ms, 1) for c in clients if c.reconnect_ms],
        "last_resubscribed_at": max((c.resubscribed_at or 0) for c in clients),
        # None while any client lacks an event (a yardstick, without resume).
        "last_complete_at": (max(c.complete_at for c in clients)
                             if all(c.complete_at for c in clients) else None),
        "errors": dict(sum((Counter(c.errors) for c in clients), Counter())),
        "missing": missing, "missed_ids": dict(missed_ids),
    }), flush=True)


# The orchestrator


class ProjectSide:
    """``python -m realtime.server`` on Redis; events are real order saves, resumed by id."""

    resume = True

    def __init__(self, workdir: Path, processes: int) -> None:
        self.redis = RedisServer.start(workdir)
        self.project = Project.create(workdir / "project", redis_url=self.redis.url,
                                      extra_env=SERVER_ENV)
        self.servers = [DaphneServer.start(self.project, preexec_fn=raise_nofile)
                        for _ in range(processes)]

    @property
    def ports(self) -> list[int]:
        return [s.port for s in self.servers]

    @property
    def survivor_pid(self) -> int:
        return self.servers[0].process.pid

    def tokens(self, count: int) -> list[str]:
        # A token may open any number of sockets; fetching one costs a password hash.
        http = self.servers[0].http
        fetched = [fetch_token(http, "manager", DEMO_PASSWORD, timeout=30)
                   for _ in range(min(count, 16))]
        return [fetched[n % len(fetched)] for n in range(count)]

    def kill_second(self) -> None:
        self.servers[1].kill()

    def restart_first(self) -> None:
        first = self.servers[0]
        begun = time.time()
        first.process.send_signal(signal.SIGTERM)
        first.process.wait(30)
        self.stopped_s = time.time() - begun
        self.servers[0] = DaphneServer.start(self.project, port=first.port,
                                             preexec_fn=raise_nofile)

    async def save(self, events: int) -> list[int]:
        """Orders saved 50 ms apart from another process, servers up or not."""
        out = await self.project.ashell(
            "import time\nfrom orders.models import Customer, Order\n"
            "customer = Customer.objects.get(user__username='bob')\n"
            f"for n in range({events}):\n"
            "    print('ORDER', Order.objects.create(customer=customer, total='5.00').pk,"
            " flush=True)\n"
            "    time.sleep(0.05)\n")
        return [int(line.split()[1]) for line in out.splitlines() if line.startswith("ORDER ")]

    def stats(self) -> dict[str, Any]:
        """The survivor's own counters (``/api/ws/stats``): drops, refusals, the log;
        what went wrong instead, if it does not answer (the report is kept)."""
        try:
            return self.servers[0].admin_stats(timeout=60)
        except OSError as exc:
            return {"error": repr(exc)}

    def close(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                server.stop()
        self.redis.stop()


class YardstickSide:
    """A yardstick of bench/targets.py per process: no auth, no log, nothing to resume.

    Its events come from its HTTP trigger, one at a time, 50 ms apart, once the storm
    has begun (after a restart, once the new process answers); a fresh process numbers
    them from 1, so the survivor's are 1..K.
    """

    resume = False

    def __init__(self, workdir: Path, processes: int, flavour: str) -> None:
        self.workdir = workdir
        self.targets = [ChannelsTarget() if flavour == "channels"
                        else YardstickTarget(flavour, flavour) for _ in range(processes)]
        for target in self.targets:
            target.start(workdir)

    @property
    def ports(self) -> list[int]:
        return [t.ports[0] for t in self.targets]

    @property
    def survivor_pid(self) -> int:
        return self.targets[0].processes[0].pid

    def tokens(self, count: int) -> list[str]:
        return ["unchecked"] * count

    def kill_second(self) -> None:
        self.targets[1].processes[0].kill()

    def restart_first(self) -> None:
        first = self.targets[0]
        port = first.ports[0]
        begun = time.time()
        first.processes[0].send_signal(signal.SIGTERM)
        first.processes[0].wait(30)
        self.stopped_s = time.time() - begun
        first.start(self.workdir, port=port)

    async def save(self, events: int) -> list[int]:
        for _ in range(events):
            await self.targets[0].trigger(1)
            await asyncio.sleep(0.05)
        return list(range(1, events + 1))

    def stats(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        for target in self.targets:
            target.stop()
            if target.redis is not None:
                target.redis.stop()


async def storm(sockets: int, mode: str, workers: int, events: int, workdir: Path,
                target: str = "project", profile: Path | None = None) -> dict[str, Any]:
    processes = 2 if mode == "kill" else 1
    side = (ProjectSide(workdir, processes) if target == "project"
            else YardstickSide(workdir, processes, target))
    children: list[asyncio.subprocess.Process] = []
    try:
        tokens = side.tokens(sockets)
        shares = [tokens[n::workers] for n in range(workers)]
        for n, share in enumerate(shares):
            child = await asyncio.create_subprocess_exec(
                PYTHON, "-m", "bench.storm", "worker", cwd=ROOT, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, limit=2**26, preexec_fn=raise_nofile)
            child.stdin.write((json.dumps({"ports": side.ports, "tokens": share, "seed": n,
                                           "resume": side.resume}) + "\n").encode())
            await child.stdin.drain()
            children.append(child)
        for child in children:
            ready = json.loads(await asyncio.wait_for(child.stdout.readline(), 300))
            assert ready["ready"] > 0, ready
        cpu_before = sample([side.survivor_pid]).cpu
        profiler = Profiler([side.survivor_pid], profile) if profile else None
        lost_at = time.time()
        if mode == "kill":
            saver = asyncio.create_task(side.save(events))
            side.kill_second()
        elif side.resume:
            saver = asyncio.create_task(side.save(events))  # the log keeps them meanwhile
            side.restart_first()
            cpu_before = 0.0
        else:
            side.restart_first()
            cpu_before = 0.0
            saver = asyncio.create_task(side.save(events))
        expected = await saver
        results = []
        for child in children:
            child.stdin.write((json.dumps(expected) + "\n").encode())
            await child.stdin.drain()
        for child in children:
            results.append(json.loads(await asyncio.wait_for(child.stdout.readline(), 300)))
        cpu = sample([side.survivor_pid]).cpu - cpu_before
        if profiler:
            profiler.stop()
        server_stats = side.stats()
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
        side.close()
    reconnects = sorted(ms for r in results for ms in r["reconnect_ms"])
    lost = sum(r["lost"] for r in results)
    return {
        "target": target, "mode": mode, "sockets": sockets, "events": len(expected),
        "lost_sockets": lost,
        "resubscribed": sum(r["resubscribed"] for r in results),
        "all_back_s": round(max(r["last_resubscribed_at"] for r in results) - lost_at, 2)
        if lost else 0.0,
        # Restart: how long the old process took to exit after SIGTERM.
        "stop_s": round(getattr(side, "stopped_s", 0.0), 2),
        "all_delivered_s": (round(max(r["last_complete_at"] for r in results) - lost_at, 2)
                            if all(r["last_complete_at"] for r in results) else None),
        "reconnect_p50_ms": round(statistics.median(reconnects), 1) if reconnects else None,
        "reconnect_p99_ms": reconnects[min(len(reconnects) - 1, int(0.99 * len(reconnects)))]
        if reconnects else None,
        "delivered": sum(r["delivered"] for r in results),
        "expected": sum(r["expected"] for r in results),
        "dupes": sum(r["dupes"] for r in results),
        "client_errors": dict(sum((Counter(r["errors"]) for r in results), Counter())),
        "missing": dict(sum((Counter(r["missing"]) for r in results), Counter())),
        "missed_ids": dict(sorted(sum((Counter({int(k): v for k, v in r["missed_ids"].items()})
                                       for r in results), Counter()).items())),
        "server_cpu_per_handshake_ms": round(cpu / lost * 1000, 2) if lost else None,
        "server_stats": server_stats,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        asyncio.run(worker())
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--mode", choices=["kill", "restart"], default="kill")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--events", type=int, default=40)
    parser.add_argument("--target", choices=["project", "websockets", "channels"],
                        default="project")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy on the surviving server (kill) for the storm")
    args = parser.parse_args()
    profile = (ROOT / "bench" / "results" / f"profile-storm-{args.target}-{args.sockets}"
               if args.profile else None)
    report = asyncio.run(storm(args.sockets, args.mode, args.workers, args.events,
                               Path(tempfile.mkdtemp(prefix="omni-storm-")), args.target,
                               profile))
    print(json.dumps(report, indent=2))
    out = (ROOT / "bench" / "results"
           / f"storm-{args.target}-{args.mode}-{args.sockets}-{dt.date.today()}.json")
    out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
