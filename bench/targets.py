"""What the benchmark runs against: the project per mode, the yardsticks, and /proc.

Every server listens on 127.0.0.1 only and runs with the open-files limit raised to
the hard limit (``preexec_fn``), so 10,000 sockets fit.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.servers import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    DaphneServer,
    Project,
    RedisServer,
    free_port,
    stop_process,
    wait_for,
)
from tests.support.wsclient import fetch_token

BENCH = ROOT / "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")
READY_S = 30  # a server's start-up, on a machine the load may keep busy

# The server's own limits, opened up for one load client on one IP; everything else
# (rate limit, payload, heartbeat 30 s) stays at the defaults.
SERVER_ENV = {
    "WS_MAX_CONNECTIONS": "50000",
    "WS_MAX_CONNECTIONS_PER_IP": "1000000",
    "WS_TOKEN_TTL": "7200",
}


def raise_nofile() -> None:
    """``preexec_fn``: the soft open-files limit up to the hard one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def http_get(url: str, timeout: float = 5, headers: dict[str, str] | None = None) -> bytes:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def basic(username: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


# /proc


@dataclass
class ProcSample:
    cpu: float  # seconds, user + system, all threads
    rss: int  # bytes


def proc_sample(pid: int) -> ProcSample:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
        rss = 0
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        return ProcSample(cpu, rss)
    except (FileNotFoundError, ProcessLookupError):
        return ProcSample(0.0, 0)


def sample(pids: list[int]) -> ProcSample:
    samples = [proc_sample(pid) for pid in pids]
    return ProcSample(sum(s.cpu for s in samples), sum(s.rss for s in samples))


def spawn(args: list[str], log: Path, env: dict[str, str] | None = None,
          cwd: Path = ROOT) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=raise_nofile)


# Redis


class Redis(RedisServer):
    """The test harness's redis-server, with room for 10,000 sockets' worth of clients."""

    @classmethod
    def start(cls, workdir: Path) -> Redis:  # type: ignore[override]
        redis = super().start(workdir, "--maxclients", "10000")
        wait_for(lambda: redis.info("server"), timeout=READY_S,
                 what=f"redis-server on {redis.port}")
        return redis

    def info(self, section: str) -> dict[str, Any]:
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=5)
        try:
            return client.info(section)
        finally:
            client.close()

    def ip_counter_members(self) -> int:
        """Members of the per-IP connection counters left in Redis (realtime.shared: one set
        of connection ids per IP and process, ``rt:ip:<ip>/<origin>``)."""
        import redis

        client = redis.Redis.from_url(self.url, socket_timeout=5)
        try:
            return sum(client.scard(key) for key in client.scan_iter("rt:ip:*/*", _type="set"))
        finally:
            client.close()


# The project


def create_project(workdir: Path) -> Project:
    """The test harness's project (migrated, seeded) with the server limits opened up.

    Redis is not in its environment: the modes share the database, and each adds its
    own Redis (``ProjectTarget.mode_env``). The caller's ``WS_`` and ``DATABASE_``
    variables are dropped so that they do not change what is measured.
    """
    return Project.create(workdir, extra_env=SERVER_ENV,
                          drop_env=("DJANGO_", "REDIS_", "WS_", "DATABASE_"))


class LineProcess:
    """A child speaking JSON lines on stdin/stdout (load workers, the saver)."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name

    @classmethod
    async def start(cls, args: list[str], name: str, log: Path,
                    env: dict[str, str] | None = None) -> LineProcess:
        with log.open("ab") as err:
            process = await asyncio.create_subprocess_exec(
                *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=err, limit=2**27,
                preexec_fn=raise_nofile)
        return cls(process, name)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def send(self, obj: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(obj) + "\n").encode())
        await self.process.stdin.drain()

    async def receive(self, wait_s: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + wait_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no answer in {wait_s:.0f} s")
            line = await asyncio.wait_for(self.process.stdout.readline(), remaining)
            if not line:
                raise RuntimeError(f"{self.name} exited (code {self.process.returncode})")
            try:
                return json.loads(line)
            except ValueError:
                continue  # not ours (a stray print); keep reading

    async def call(self, obj: dict[str, Any], wait_s: float) -> dict[str, Any]:
        await self.send(obj)
        return await self.receive(wait_s)

    async def close(self) -> None:
        if self.process.returncode is None:
            try:
                await self.send({"cmd": "exit"})
                await asyncio.wait_for(self.process.wait(), 10)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                self.process.kill()
                await self.process.wait()


# Targets: something that serves sockets and can be made to emit K events.


@dataclass
class Target:
    """One server set-up under test. ``start`` / ``stop`` per scenario."""

    name: str
    kind: str  # "project" or "yardstick"
    proto: str = "rt"
    processes: list[subprocess.Popen] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    redis: Redis | None = None

    @property
    def urls(self) -> list[str]:
        raise NotImplementedError

    @property
    def server_pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def start(self, workdir: Path) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)
        self.processes = []
        self.ports = []

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(f"{self.name}: server pid {process.pid} exited "
                                   f"with {process.returncode}")

    def open_connections(self) -> int | None:
        return None

    async def trigger(self, count: int) -> dict[str, Any]:
        raise NotImplementedError

    async def close(self) -> None:
        """After the last scenario: the servers, and the Redis kept across scenarios."""
        self.stop()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None


class ProjectTarget(Target):
    """Daphne (``python -m realtime.server``) × ``servers``, in-memory layer or Redis;
    ``server`` names another ASGI server of tests/support/servers.py's SERVERS."""

    def __init__(self, name: str, project: Project, servers: int, use_redis: bool,
                 server: str = "realtime") -> None:
        super().__init__(name=name, kind="project")
        self.project = project
        self.servers = servers
        self.use_redis = use_redis
        self.server = server
        self.saver: LineProcess | None = None
        self.workdir: Path | None = None

    @property
    def urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}/api/ws" for port in self.ports]

    @property
    def mode_env(self) -> dict[str, str]:
        """What this mode adds to the project's environment: its Redis, if it has one."""
        return {"REDIS_URL": self.redis.url} if self.redis is not None else {}

    @property
    def env(self) -> dict[str, str]:
        return {**self.project.env, **self.mode_env}

    def start(self, workdir: Path) -> None:
        self.workdir = workdir
        if self.use_redis and self.redis is None:
            self.redis = Redis.start(workdir)
        for _ in range(self.servers):
            server = DaphneServer.start(self.project, extra_env=self.mode_env,
                                        server=self.server, preexec_fn=raise_nofile)
            self.processes.append(server.process)
            self.ports.append(server.port)

    async def ensure_saver(self) -> LineProcess:
        if self.saver is None:
            assert self.workdir is not None
            self.saver = await LineProcess.start([PYTHON, "-m", "bench.saver"], "saver",
                                                 self.workdir / "saver.log", env=self.env)
        return self.saver

    async def make_users(self, count: int) -> list[str]:
        saver = await self.ensure_saver()
        answer = await saver.call({"cmd": "users", "count": count, "password": DEMO_PASSWORD},
                                  120)
        return answer["usernames"]

    def fetch_tokens(self, usernames: list[str]) -> list[str]:
        """``POST /api/ws/token`` with HTTP Basic, one per user (the throttle is per user)."""
        http = f"http://127.0.0.1:{self.ports[0]}"
        return [fetch_token(http, username, DEMO_PASSWORD, timeout=30) for username in usernames]

    async def trigger(self, count: int) -> dict[str, Any]:
        saver = await self.ensure_saver()
        answer = await saver.call({"cmd": "save", "count": count}, 600)
        return {"t0": answer["t0"], "t1": answer["t1"]}

    def open_connections(self) -> int | None:
        """Open sockets as the server counts them (``/api/ws/stats``, admin)."""
        answers = [json.loads(http_get(f"http://127.0.0.1:{port}/api/ws/stats",
                                       headers=basic("admin", DEMO_PASSWORD)))
                   for port in self.ports]
        if len(answers[0].get("processes", [])) >= len(self.ports):
            return answers[0]["connections"]["total"]  # totals across processes
        return sum(a["connections"]["total"] for a in answers)

    async def close(self) -> None:
        if self.saver is not None:
            await self.saver.close()
            self.saver = None
        await super().close()


class YardstickTarget(Target):
    """``websockets.broadcast`` (Python) or socket.io (Node) doing the same job minimally."""

    def __init__(self, name: str, flavour: str) -> None:
        super().__init__(name=name, kind="yardstick", proto="sio" if flavour == "socketio" else "rt")
        self.flavour = flavour

    @property
    def urls(self) -> list[str]:
        if self.flavour == "socketio":
            return [f"http://127.0.0.1:{port}" for port in self.ports]
        return [f"ws://127.0.0.1:{port}/api/ws" for port in self.ports]

    def start(self, workdir: Path, port: int | None = None) -> None:
        port = port or free_port()
        if self.flavour == "socketio":
            args = [node_binary(), str(BENCH / "yardstick_socketio.js"), str(port)]
        else:
            args = [PYTHON, "-m", "bench.yardstick_websockets", "--port", str(port)]
        self.serve(args, port, workdir / f"{self.flavour}-{port}.log")

    def serve(self, args: list[str], port: int, log: Path,
              env: dict[str, str] | None = None) -> None:
        """Start the one server process and wait until its ``/health`` answers."""
        process = spawn(args, log, env=env)
        self.processes = [process]
        self.ports = [port]

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{self.name} exited, see {log}")
            return bool(http_get(f"http://127.0.0.1:{port}/health", timeout=1))
        wait_for(ready, timeout=READY_S, what=f"{self.name} on {port}")

    async def trigger(self, count: int) -> dict[str, Any]:
        t0 = time.time() * 1000
        await asyncio.to_thread(http_get, f"http://127.0.0.1:{self.ports[0]}/trigger?k={count}")
        return {"t0": t0, "t1": time.time() * 1000}

    def open_connections(self) -> int | None:
        return int(http_get(f"http://127.0.0.1:{self.ports[0]}/stats").strip())


class ChannelsTarget(YardstickTarget):
    """Stock Channels (bench/yardstick_channels.py): stock Daphne, its own Redis.

    One ``python -m daphne`` with its default options, the ``channels_redis`` pubsub
    layer on a redis-server started here (kept across scenarios, stopped on close).
    The sockets, the HTTP trigger and ``/stats`` are those of the other yardsticks.
    """

    def __init__(self, name: str = "channels") -> None:
        super().__init__(name=name, flavour="channels")

    def start(self, workdir: Path, port: int | None = None) -> None:
        if self.redis is None:
            self.redis = Redis.start(workdir)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_"))}
        env.update({"BENCH_CHANNELS_REDIS_URL": self.redis.url, "PYTHONUNBUFFERED": "1"})
        port = port or free_port()
        self.serve([PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                    "bench.yardstick_channels:application"],
                   port, workdir / f"channels-{port}.log", env=env)


def node_binary() -> str:
    binary = shutil.which("node")
    if binary is None:
        raise RuntimeError("node is not installed (Debian: apt-get install nodejs npm)")
    return binary


def ensure_node_modules() -> None:
    """``npm ci`` in bench/ (ws, socket.io, socket.io-client from package-lock.json)."""
    if (BENCH / "node_modules" / "ws").exists() and (BENCH / "node_modules" / "socket.io").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed (Debian: apt-get install npm)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=BENCH, check=True,
                   timeout=600)
