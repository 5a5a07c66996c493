"""The benchmark, with its yardstick measured in the same run.

    .venv/bin/python -m bench.run [--scenarios burst,latency,churn]
        [--modes embedded,redis-1,redis-2,redis-1-uvicorn,channels,websockets,socketio]
        [--sizes 1000,5000,10000] [--events K] [--quick] [--client node|python]

Per mode it starts the servers afresh for each scenario: the project's Daphne
(``python -m realtime.server``) with the in-memory layer (``embedded``), with Redis
and one process (``redis-1``) or two (``redis-2``, sockets round-robin across them),
the same app under uvicorn with Redis (``redis-1-uvicorn``: ``--ws websockets``),
stock Channels (``channels``: stock Daphne, the channels_redis pubsub layer and a
consumer written as the Channels docs show, bench/yardstick_channels.py), and the
yardsticks: a plain ``websockets.broadcast`` server and a socket.io server.
The same load client (several worker processes, each holding a share of the
sockets) opens N sockets, authenticates them with tokens of real users from
``POST /api/ws/token``, subscribes them to ``orders``, and counts every event. The
project's events come from real ``Order`` saves in another process (bench/saver.py);
stock Channels' and the yardsticks' from an HTTP trigger.

Results: bench/results/<date>.json and .md (the table printed here too), and a PNG
chart (bench/chart.py, matplotlib from bench/requirements.txt, installed on demand).
The Python API is ``run(Options(...))``, which returns the report dict.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers import Project

from .targets import (
    BENCH,
    PYTHON,
    ChannelsTarget,
    LineProcess,
    ProjectTarget,
    Target,
    YardstickTarget,
    create_project,
    ensure_node_modules,
    node_binary,
    sample,
)

SCENARIOS = ("burst", "latency", "churn")
MODES = ("embedded", "redis-1", "redis-2", "redis-1-uvicorn", "channels", "websockets",
         "socketio")
YARDSTICKS = ("websockets", "socketio")
RATIO_BASES = (*YARDSTICKS, "channels")  # the project's figures ÷ each of these
NAMESPACE = "orders"


@dataclass
class Options:
    scenarios: list[str] = field(default_factory=lambda: list(SCENARIOS))
    modes: list[str] = field(default_factory=lambda: list(MODES))
    sizes: list[int] = field(default_factory=lambda: [1000, 5000, 10000])
    events: int | None = None  # per burst; None: 100 up to 1,000 sockets, else 20
    quick: bool = False
    client: str = "auto"  # node | python | auto (node when it is installed)
    workers: int | None = None  # load-client processes; None: 2 (node) or 4 (python)
    connect_concurrency: int = 100  # handshakes in flight, all workers together
    users: int = 20  # bench staff users whose tokens the sockets share
    burst_timeout: float = 120.0
    latency_sockets: int = 1000
    latency_reps: int = 20
    churn_total: int = 2000
    churn_wave: int = 500
    probe_concurrency: int = 2
    results_dir: Path = BENCH / "results"
    write: bool = True
    chart: bool = True
    profile: bool = False  # py-spy on the project's servers during each burst
    server_env: dict[str, str] = field(default_factory=dict)  # extra env for the project
    workdir: Path | None = None
    verbose: bool = True

    def apply_quick(self) -> None:
        if self.quick:
            self.sizes = [min(self.sizes)] if self.sizes else [1000]
            self.events = self.events or 20
            self.latency_reps = min(self.latency_reps, 5)
            self.latency_sockets = min(self.latency_sockets, 500)
            self.churn_total = min(self.churn_total, 1000)
            self.burst_timeout = min(self.burst_timeout, 60)

    def events_for(self, sockets: int) -> int:
        if self.events:
            return self.events
        return 100 if sockets <= 1000 else 20


def log(options: Options, message: str) -> None:
    if options.verbose:
        print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return round(ordered[index], 2)


# The load client


class ClientPool:
    """Load-client worker processes (bench/client.js or bench/client_py.py)."""

    def __init__(self, kind: str, count: int, workdir: Path) -> None:
        self.kind = kind
        self.count = count
        self.workdir = workdir
        self.workers: list[LineProcess] = []

    async def start(self) -> None:
        if self.kind == "node":
            args = [node_binary(), str(BENCH / "client.js")]
        else:
            args = [PYTHON, "-m", "bench.client_py"]
        self.workers = [
            await LineProcess.start(args, f"client-{i}", self.workdir / f"client-{i}.log")
            for i in range(self.count)]

    @property
    def pids(self) -> list[int]:
        return [w.pid for w in self.workers]

    async def connect(self, target: Target, sockets: int, tokens: list[str],
                      options: Options, wait_s: float = 300) -> dict[str, Any]:
        per = max(1, options.connect_concurrency // len(self.workers))
        commands = []
        first = 0
        for i in range(len(self.workers)):
            share = sockets // len(self.workers) + (1 if i < sockets % len(self.workers) else 0)
            commands.append({"cmd": "connect", "urls": target.urls, "first": first,
                             "count": share, "tokens": tokens, "namespace": NAMESPACE,
                             "proto": target.proto, "concurrency": per, "timeout": wait_s})
            first += share
        answers = await asyncio.gather(*(w.call(c, wait_s + 30)
                                         for w, c in zip(self.workers, commands, strict=True)))
        errors: dict[str, int] = {}
        for answer in answers:
            for key, count in answer["errors"].items():
                errors[key] = errors.get(key, 0) + count
        auth = [x for a in answers for x in a["auth_ms"]]
        return {
            "ok": sum(a["ok"] for a in answers), "failed": sum(a["failed"] for a in answers),
            "errors": errors,
            "seconds": (max(a["t_end"] for a in answers) - min(a["t_start"] for a in answers))
            / 1000,
            "auth_ms": auth,
            "open_ms": [x for a in answers for x in a["open_ms"]],
        }

    async def expect(self, events: int, wait_s: float, trigger: Any,
                     probe: dict[str, Any] | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Arm every worker for ``events`` per socket, fire ``trigger``, gather the counts."""
        for i, worker in enumerate(self.workers):
            await worker.send({"cmd": "expect", "events": events, "timeout": wait_s,
                               "probe": probe if i == 0 else None})
        for worker in self.workers:
            armed = await worker.receive(30)
            assert armed.get("armed"), armed
        fired = await trigger()
        answers = await asyncio.gather(*(w.receive(wait_s + 60) for w in self.workers))
        return list(answers), fired

    async def close_sockets(self) -> int:
        answers = await asyncio.gather(*(w.call({"cmd": "close", "timeout": 30}, 60)
                                         for w in self.workers))
        return sum(a["lingering"] for a in answers)

    async def stop(self) -> None:
        for worker in self.workers:
            await worker.close()
        self.workers = []


# Scenarios


def _cpu(pids: list[int]) -> float:
    return sample(pids).cpu


class Profiler:
    """py-spy on each server process for the length of a connect, a burst or the
    latency scenario's events (``--profile``)."""

    def __init__(self, pids: list[int], out: Path) -> None:
        self.processes: list[subprocess.Popen] = []
        binary = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        extra = os.environ.get("BENCH_PYSPY_ARGS", "").split()  # e.g. --native
        if "--native" not in extra:
            extra.append("--nonblocking")  # py-spy refuses --native with it
        for pid in pids:
            path = out.with_name(f"{out.name}-{pid}.txt")
            self.processes.append(subprocess.Popen(
                [binary, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                 "--output", str(path), "--duration", "600", *extra],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


async def scenario_burst(target: Target, pool: ClientPool, sockets: int, events: int,
                         tokens: list[str], options: Options, workdir: Path) -> dict[str, Any]:
    target.start(workdir)
    redis_pids = [target.redis.process.pid] if target.redis else []
    try:
        base = sample(target.server_pids)
        profiler = None
        if options.profile and target.kind == "project":
            profiler = Profiler(target.server_pids,
                                options.results_dir / f"profile-{target.name}-{sockets}-connect")
            await asyncio.sleep(1)
        connected = await pool.connect(target, sockets, tokens, options)
        after_connect = sample(target.server_pids)
        if profiler:
            profiler.stop()
        target.check_alive()
        await asyncio.sleep(0.5)
        server0, client0, redis0 = (sample(target.server_pids), _cpu(pool.pids),
                                    _cpu(redis_pids))
        wall0 = time.time() * 1000
        probe = {"url": target.urls[0], "token": tokens[0], "proto": target.proto,
                 "concurrency": options.probe_concurrency, "interval": 20, "max": 500}
        if options.profile and target.kind == "project":
            profiler = Profiler(target.server_pids,
                                options.results_dir / f"profile-{target.name}-{sockets}-burst")
            await asyncio.sleep(1)
        answers, fired = await pool.expect(events, options.burst_timeout,
                                           lambda: target.trigger(events), probe)
        wall1 = time.time() * 1000
        if profiler and options.profile and target.kind == "project":
            profiler.stop()
        server1, client1, redis1 = (sample(target.server_pids), _cpu(pool.pids),
                                    _cpu(redis_pids))
        target.check_alive()
        await pool.close_sockets()
    finally:
        target.stop()
    delivered = sum(a["delivered"] for a in answers)
    expected = sockets * events
    last = max((a["last_recv"] for a in answers if a["last_recv"]), default=None)
    first = min((a["first_recv"] for a in answers if a["first_recv"]), default=None)
    span = (last - fired["t0"]) / 1000 if last else None
    lat = [x for a in answers for x in a["lat_ms"]]
    first_lat = [x for a in answers for x in a["first_ms"]]
    probes = [x for a in answers for x in a["probe_auth_ms"]]
    burst_wall = (wall1 - wall0) / 1000
    client_cpu = client1 - client0
    return {
        "scenario": "burst", "target": target.name, "kind": target.kind,
        "sockets": sockets, "events": events,
        "connect_s": round(connected["seconds"], 3),
        "connect_failed": connected["failed"], "connect_errors": connected["errors"],
        "connect_auth_p50_ms": percentile(connected["auth_ms"], 50),
        "connect_auth_p99_ms": percentile(connected["auth_ms"], 99),
        "auth_p50_ms": percentile(probes, 50), "auth_p99_ms": percentile(probes, 99),
        "auth_samples": len(probes),
        "auth_errors": sum(a["probe_errors"] for a in answers),
        "delivered": delivered, "expected": expected,
        "delivered_ratio": round(delivered / expected, 6) if expected else None,
        "dupes": sum(a["dupes"] for a in answers),
        "deliveries_per_s": round(delivered / span) if span else 0,
        "span_s": round(span, 3) if span else None,
        "first_delivery_after_ms": round(first - fired["t0"], 2) if first else None,
        "trigger_s": round((fired["t1"] - fired["t0"]) / 1000, 3),
        "first_event_p50_ms": percentile(first_lat, 50),
        "first_event_p99_ms": percentile(first_lat, 99),
        "latency_p50_ms": percentile(lat, 50), "latency_p99_ms": percentile(lat, 99),
        "timed_out": any(a["timed_out"] for a in answers),
        "server_processes": len(target.server_pids),
        "server_cpu_s": round(server1.cpu - server0.cpu, 3),
        "server_connect_cpu_s": round(after_connect.cpu - base.cpu, 3),
        "server_rss_mb": round(after_connect.rss / 2**20, 1),
        "rss_per_socket_kb": round((after_connect.rss - base.rss) / sockets / 1024, 2),
        "redis_cpu_s": round(redis1 - redis0, 3) if redis_pids else None,
        "client_cpu_s": round(client_cpu, 3),
        "client_cpu_pct": round(100 * client_cpu / burst_wall, 1) if burst_wall else None,
        "client_workers": len(pool.workers), "client": pool.kind,
        "burst_wall_s": round(burst_wall, 3),
    }


async def scenario_latency(target: Target, pool: ClientPool, tokens: list[str],
                           options: Options, workdir: Path) -> dict[str, Any]:
    sockets, reps = options.latency_sockets, options.latency_reps
    target.start(workdir)
    lat: list[float] = []
    per_rep_p99: list[float | None] = []
    calls: list[float] = []
    delivered = 0
    try:
        connected = await pool.connect(target, sockets, tokens, options)
        await asyncio.sleep(0.5)
        # One event first, every target alike, neither timed nor counted: the writer's
        # first save opens its database and Redis connections (48 ms against 5 once
        # warm, seen here), and as one of 20 events its 1,000 deliveries are the whole
        # of the p99. Its call is reported as ``warmup_call_ms``.
        # py-spy attaches meanwhile, before the timed events (``--profile``).
        profiler = None
        if options.profile and target.kind == "project":
            profiler = Profiler(target.server_pids,
                                options.results_dir / f"profile-{target.name}-{sockets}-latency")
        answers, warmup = await pool.expect(1, 15, lambda: target.trigger(1), None)
        warmup_call = round(warmup["t1"] - warmup["t0"], 2)
        # A warm-up frame still on its way would count as the next event's.
        warmup_delivered = sum(a["delivered"] for a in answers)
        if warmup_delivered != connected["ok"]:
            raise RuntimeError(f"warm-up event reached {warmup_delivered} of "
                               f"{connected['ok']} sockets")
        await asyncio.sleep(1.0 if profiler else 0.3)
        for _ in range(reps):
            answers, fired = await pool.expect(1, 15, lambda: target.trigger(1), None)
            # The trigger's own call: for the project, the save, its commit, the
            # numbering and the publish, in the writer's process.
            calls.append(round(fired["t1"] - fired["t0"], 2))
            rep = [x for a in answers for x in a["lat_ms"]]
            delivered += sum(a["delivered"] for a in answers)
            lat.extend(rep)
            per_rep_p99.append(percentile(rep, 99))
            await asyncio.sleep(0.3)  # idle between events
        if profiler:
            profiler.stop()
        target.check_alive()
        await pool.close_sockets()
    finally:
        target.stop()
    return {
        "scenario": "latency", "target": target.name, "kind": target.kind,
        "sockets": sockets, "events": reps, "connect_failed": connected["failed"],
        "delivered": delivered, "expected": sockets * reps,
        "delivered_ratio": round(delivered / (sockets * reps), 6),
        "latency_p50_ms": percentile(lat, 50), "latency_p99_ms": percentile(lat, 99),
        "latency_max_ms": round(max(lat), 2) if lat else None,
        "per_event_p99_ms": per_rep_p99,
        "trigger_call_p50_ms": percentile(calls, 50), "trigger_call_ms": calls,
        "warmup_call_ms": warmup_call,
    }


async def scenario_churn(target: Target, pool: ClientPool, tokens: list[str],
                         options: Options, workdir: Path) -> dict[str, Any]:
    wave, total = options.churn_wave, options.churn_total
    target.start(workdir)
    failed = 0
    # The per-IP counters are the project's (realtime.limits); stock Channels has none.
    counters = target.redis if target.kind == "project" else None
    try:
        # One warm-up wave first: the process's first sockets grow its heap for good.
        warm = await pool.connect(target, wave, tokens, options)
        failed += warm["failed"]
        await pool.close_sockets()
        open_before = await _settle(target)
        before = sample(target.server_pids)
        clients_before = target.redis.info("clients")["connected_clients"] if target.redis else None
        ip_before = counters.ip_counter_members() if counters else None
        t0 = time.monotonic()
        for _ in range(max(1, total // wave)):
            result = await pool.connect(target, wave, tokens, options)
            failed += result["failed"]
            await pool.close_sockets()
        seconds = time.monotonic() - t0
        open_after = await _settle(target)
        after = sample(target.server_pids)
        clients_after = target.redis.info("clients")["connected_clients"] if target.redis else None
        ip_after = counters.ip_counter_members() if counters else None
        target.check_alive()
    finally:
        target.stop()
    return {
        "scenario": "churn", "target": target.name, "kind": target.kind,
        "sockets": total, "wave": wave, "seconds": round(seconds, 2), "connect_failed": failed,
        "rss_before_mb": round(before.rss / 2**20, 1), "rss_after_mb": round(after.rss / 2**20, 1),
        "rss_growth_kb": round((after.rss - before.rss) / 1024),
        "open_before": open_before, "open_after": open_after,
        "redis_clients_before": clients_before, "redis_clients_after": clients_after,
        "redis_ip_counter_before": ip_before, "redis_ip_counter_after": ip_after,
    }


async def _settle(target: Target, wait_s: float = 15) -> int | None:
    """Wait (bounded) until the server counts no open socket; returns the last count."""
    deadline = time.monotonic() + wait_s
    count = None
    while time.monotonic() < deadline:
        try:
            count = await asyncio.to_thread(target.open_connections)
        except Exception:  # noqa: BLE001 - the count is informative only
            return None
        if not count:
            break
        await asyncio.sleep(0.25)
    await asyncio.sleep(0.5)
    return count


# Ratios to the yardsticks

RATIO_KEYS = ("connect_s", "auth_p50_ms", "auth_p99_ms", "deliveries_per_s",
              "delivered_ratio", "first_event_p50_ms", "first_event_p99_ms",
              "latency_p50_ms", "latency_p99_ms", "server_cpu_s", "rss_per_socket_kb",
              "client_cpu_s", "latency_max_ms", "rss_growth_kb")


def add_ratios(results: list[dict[str, Any]]) -> None:
    """``vs[base][key]`` = project figure ÷ that of ``base`` (a yardstick or stock Channels)
    in the same scenario and N."""
    index = {(r["scenario"], r["target"], r["sockets"]): r for r in results}
    for result in results:
        if result["kind"] != "project":
            continue
        result["vs"] = {}
        for yardstick in RATIO_BASES:
            other = index.get((result["scenario"], yardstick, result["sockets"]))
            if other is None:
                continue
            ratios = {}
            for key in RATIO_KEYS:
                a, b = result.get(key), other.get(key)
                if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
                    ratios[key] = round(a / b, 3)
            result["vs"][yardstick] = ratios


# Machine and versions


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gib": round(mem / 2**30, 1),
            "kernel": platform.release(), "python": platform.python_version()}


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for name in ("Django", "channels", "daphne", "channels-redis", "redis", "Twisted",
                 "autobahn", "websockets"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    for binary, args in (("redis-server", ["--version"]), ("node", ["--version"])):
        path = shutil.which(binary)
        if path:
            with contextlib.suppress(Exception):
                out[binary] = subprocess.run([path, *args], capture_output=True, text=True,
                                             timeout=10).stdout.strip()
    with contextlib.suppress(Exception):
        root = BENCH.parent
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "realtime", "omni_sales",
                                "orders", "inventory"], cwd=root, capture_output=True,
                               text=True, timeout=10).stdout.strip()
        if head:
            out["project"] = head + (" + uncommitted changes" if dirty else "")
    if "project" not in out and os.environ.get("BENCH_PROJECT_REV"):
        out["project"] = os.environ["BENCH_PROJECT_REV"]
    for package in ("ws", "socket.io", "socket.io-client"):
        manifest = BENCH / "node_modules" / package / "package.json"
        if manifest.exists():
            out[f"npm {package}"] = json.loads(manifest.read_text())["version"]
    return out


# The run


def choose_client(options: Options) -> str:
    if options.client in ("node", "python"):
        if options.client == "node":
            ensure_node_modules()
        return options.client
    try:
        node_binary()
        ensure_node_modules()
        return "node"
    except Exception as exc:  # noqa: BLE001 - fall back to the Python client
        log(options, f"Node client unavailable ({exc}); using the Python client")
        return "python"


def make_target(mode: str, project: Project | None) -> Target:
    if mode == "embedded":
        return ProjectTarget("embedded", project, servers=1, use_redis=False)
    if mode == "redis-1":
        return ProjectTarget("redis-1", project, servers=1, use_redis=True)
    if mode == "redis-2":
        return ProjectTarget("redis-2", project, servers=2, use_redis=True)
    if mode == "redis-1-uvicorn":
        return ProjectTarget("redis-1-uvicorn", project, servers=1, use_redis=True,
                             server="uvicorn")
    if mode == "channels":
        return ChannelsTarget()
    if mode in YARDSTICKS:
        return YardstickTarget(mode, mode)
    raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")


async def arun(options: Options) -> dict[str, Any]:
    options.apply_quick()
    started = time.monotonic()
    client = choose_client(options)
    workers = options.workers or (2 if client == "node" else 4)
    modes = list(options.modes)
    skipped: dict[str, str] = {}
    if "socketio" in modes and client != "node":
        modes.remove("socketio")
        skipped["socketio"] = "needs the Node client (socket.io-client)"
    own_workdir = options.workdir is None
    workdir = options.workdir or Path(tempfile.mkdtemp(prefix="omni-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if options.write:
        options.results_dir.mkdir(parents=True, exist_ok=True)
    log(options, f"workdir {workdir}; client {client} × {workers}")
    project: Project | None = None
    tokens: list[str] = []
    results: list[dict[str, Any]] = []
    try:
        if any(m in ("embedded", "redis-1", "redis-2", "redis-1-uvicorn") for m in modes):
            log(options, "creating the project database (migrate, seed_demo)")
            project = create_project(workdir / "project")
            project.env.update(options.server_env)
        for mode in modes:
            target = make_target(mode, project)
            mode_dir = workdir / mode
            mode_dir.mkdir(exist_ok=True)
            try:
                if isinstance(target, ProjectTarget) and not tokens:
                    target.start(mode_dir)
                    usernames = await target.make_users(options.users)
                    log(options, f"fetching {len(usernames)} tokens (POST /api/ws/token)")
                    tokens = target.fetch_tokens(usernames)
                    target.stop()
                run_tokens = tokens or ["yardstick-token"]
                for scenario in options.scenarios:
                    runs: list[tuple[str, int]] = []
                    if scenario == "burst":
                        runs = [("burst", n) for n in options.sizes]
                    elif scenario in ("latency", "churn"):
                        runs = [(scenario, 0)]
                    else:
                        raise ValueError(f"unknown scenario {scenario!r}")
                    for name, sockets in runs:
                        pool = ClientPool(client, workers, mode_dir)
                        await pool.start()
                        try:
                            if name == "burst":
                                events = options.events_for(sockets)
                                log(options, f"{mode}: burst {sockets} sockets × {events} events")
                                result = await scenario_burst(target, pool, sockets, events,
                                                              run_tokens, options, mode_dir)
                            elif name == "latency":
                                log(options, f"{mode}: latency, {options.latency_sockets} "
                                             f"sockets × {options.latency_reps} single events")
                                result = await scenario_latency(target, pool, run_tokens,
                                                                options, mode_dir)
                            else:
                                log(options, f"{mode}: churn {options.churn_total} sockets in "
                                             f"waves of {options.churn_wave}")
                                result = await scenario_churn(target, pool, run_tokens, options,
                                                              mode_dir)
                        except Exception as exc:  # noqa: BLE001 - report and go on
                            log(options, f"{mode}: {name} failed: {exc!r}")
                            result = {"scenario": name, "target": mode, "kind": target.kind,
                                      "sockets": sockets or None, "error": repr(exc)}
                            target.stop()
                        finally:
                            await pool.stop()
                        results.append(result)
                        log(options, summary_line(result))
            finally:
                await target.close()
    finally:
        if own_workdir and not os.environ.get("BENCH_KEEP_WORKDIR"):
            shutil.rmtree(workdir, ignore_errors=True)
    add_ratios(results)
    opts = {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()}
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(), "versions": versions(), "options": opts,
        "client": {"kind": client, "workers": workers}, "skipped": skipped,
        "results": results, "duration_s": round(time.monotonic() - started, 1),
    }
    from .report import markdown

    report_md = markdown(report)
    if options.write:
        stem = dt.date.today().isoformat()
        if (options.results_dir / f"{stem}.json").exists():
            stem = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
        json_path = options.results_dir / f"{stem}.json"
        json_path.write_text(json.dumps(report, indent=1) + "\n")
        (options.results_dir / f"{stem}.md").write_text(report_md)
        report["files"] = {"json": str(json_path), "markdown": str(json_path.with_suffix(".md"))}
        if options.chart and any(r["scenario"] == "burst" for r in results):
            from .chart import chart

            try:
                png = chart(report, json_path.with_suffix(".png"))
                report["files"]["png"] = str(png)
            except Exception as exc:  # noqa: BLE001 - the chart is optional
                log(options, f"no chart: {exc}")
    report["markdown"] = report_md
    return report


def summary_line(result: dict[str, Any]) -> str:
    if "error" in result:
        return f"  {result['target']} {result['scenario']}: ERROR {result['error']}"
    if result["scenario"] == "burst":
        return (f"  {result['target']} N={result['sockets']}: {result['deliveries_per_s']}/s, "
                f"{result['delivered']}/{result['expected']}, connect {result['connect_s']} s, "
                f"p99 {result['latency_p99_ms']} ms, auth p99 {result['auth_p99_ms']} ms, "
                f"server cpu {result['server_cpu_s']} s, client cpu {result['client_cpu_pct']}%")
    if result["scenario"] == "latency":
        return (f"  {result['target']} latency: p50 {result['latency_p50_ms']} ms, "
                f"p99 {result['latency_p99_ms']} ms, "
                f"{result['delivered']}/{result['expected']}")
    return (f"  {result['target']} churn: RSS {result['rss_before_mb']} -> "
            f"{result['rss_after_mb']} MB, redis clients {result['redis_clients_before']} -> "
            f"{result['redis_clients_after']}, open after {result['open_after']}")


def run(options: Options | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the report (also written unless ``write`` is off)."""
    return asyncio.run(arun(options or Options()))


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--events", type=int, default=None,
                        help="events per burst (default 100 up to 1,000 sockets, else 20)")
    parser.add_argument("--quick", action="store_true",
                        help="smallest size, 20 events, shorter latency and churn runs")
    parser.add_argument("--client", choices=("auto", "node", "python"), default="auto")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--connect-concurrency", type=int, default=100)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--burst-timeout", type=float, default=120.0)
    parser.add_argument("--latency-sockets", type=int, default=1000)
    parser.add_argument("--latency-reps", type=int, default=20)
    parser.add_argument("--churn-total", type=int, default=2000)
    parser.add_argument("--churn-wave", type=int, default=500)
    parser.add_argument("--results-dir", type=Path, default=BENCH / "results")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the project's processes (repeatable), "
                             "e.g. DATABASE_CONN_MAX_AGE=600")
    parser.add_argument("--profile", action="store_true",
                        help="record py-spy profiles of the project's servers while they "
                             "connect, burst and fan out the latency scenario's events")
    args = parser.parse_args(argv)
    return Options(
        scenarios=[s for s in args.scenarios.split(",") if s],
        modes=[m for m in args.modes.split(",") if m],
        sizes=[int(s) for s in args.sizes.split(",") if s],
        events=args.events, quick=args.quick, client=args.client, workers=args.workers,
        connect_concurrency=args.connect_concurrency, users=args.users,
        burst_timeout=args.burst_timeout, latency_sockets=args.latency_sockets,
        latency_reps=args.latency_reps, churn_total=args.churn_total,
        churn_wave=args.churn_wave, results_dir=args.results_dir, chart=not args.no_chart,
        profile=args.profile,
        server_env=dict(item.split("=", 1) for item in args.server_env))


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    report = run(options)
    print(report["markdown"])
    for kind, path in report.get("files", {}).items():
        print(f"{kind}: {path}")


if __name__ == "__main__":
    main()
