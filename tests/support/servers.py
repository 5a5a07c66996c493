"""Real servers for end-to-end tests: redis-server, ASGI servers, and Django in other processes.

Every wait here polls a condition until a deadline; nothing sleeps and hopes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DEMO_PASSWORD = "e2e-secret-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05,
             what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}: {last_error!r}")


async def until(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.05,
                what: str = "condition") -> Any:
    """``wait_for`` for async tests: the event loop (and its sockets' heartbeats) keeps running."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = await asyncio.to_thread(condition)
            if result:
                return result
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last_error = exc
        await asyncio.sleep(interval)
    raise TimeoutError(f"timed out waiting for {what}: {last_error!r}")


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL if it is still there after ``timeout`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def start(cls, workdir: Path, *options: str, port: int | None = None) -> RedisServer:
        """``options`` are more redis-server arguments, e.g. ``--maxclients 10000``;
        ``port`` reuses one (a restart), else a free one is picked."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        port = port or free_port()
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(workdir), *options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: port_open(port), what=f"redis-server on {port}")
        return cls(port, process)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)

    def kill(self) -> None:
        """SIGKILL: no goodbye to any client, and (without persistence) every key gone."""
        self.process.kill()
        self.process.wait(10)

    def restart(self, workdir: Path, *options: str) -> None:
        """Start again on the same port, empty, after ``kill``."""
        self.process = RedisServer.start(workdir, *options, port=self.port).process


@dataclass
class Project:
    """A project database and the environment every process of one deployment shares."""

    workdir: Path
    env: dict[str, str]

    @classmethod
    def create(cls, workdir: Path, redis_url: str | None = None,
               extra_env: dict[str, str] | None = None,
               database_url: str | None = None,
               drop_env: tuple[str, ...] = ("DJANGO_", "REDIS_")) -> Project:
        """``drop_env``: prefixes of this process's environment variables the project's
        processes do not inherit, so a caller's own settings do not leak into them."""
        workdir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop_env)}
        env.update({
            "DJANGO_SETTINGS_MODULE": "omni_sales.settings",
            "DATABASE_URL": database_url or f"sqlite:///{workdir / 'db.sqlite3'}",
            "SECRET_KEY": "e2e-" + workdir.name,
            "OMNI_VAR_DIR": str(workdir / "var"),
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "WARNING",
            # Projects may share one Redis: each counts its throttles apart.
            "CACHE_KEY_PREFIX": "e2e-" + workdir.name,
            # Tests and benchmarks fetch many tokens from 127.0.0.1 with one password and
            # try wrong ones on purpose; the tests of the throttles and the lockout set
            # these back (tests/e2e/test_logins.py).
            "WS_TOKEN_ATTEMPT_RATE": "100000/min",
            "WS_TOKEN_RATE": "100000/min",
            "AXES_FAILURE_LIMIT": "1000",
        })
        if redis_url:
            env["REDIS_URL"] = redis_url
        env.update(extra_env or {})
        project = cls(workdir, env)
        project.manage("migrate", "--noinput")
        project.manage("seed_demo")
        return project

    def manage(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=self.env,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run Python in a separate Django process (as an operator's shell would)."""
        return self.manage("shell", "-c", code)

    async def ashell(self, code: str) -> str:
        process = await asyncio.create_subprocess_exec(
            PYTHON, "manage.py", "shell", "-c", code, cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 120)
        if process.returncode != 0:
            raise RuntimeError(f"shell failed:\n{out.decode()}\n{err.decode()}")
        return out.decode()


# The ASGI servers the app runs under (docs/operations.md, "Which server"), as the
# command that serves omni_sales.asgi:application on a loopback port.
SERVERS: dict[str, Callable[[int], list[str]]] = {
    # Daphne with the realtime layer's protocol class: frame guard, slow-reader bound, 1001.
    "realtime": lambda port: [PYTHON, "-m", "realtime.server", "-b", "127.0.0.1",
                              "-p", str(port), "omni_sales.asgi:application"],
    # Daphne as installed, default options.
    "daphne": lambda port: [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                            "omni_sales.asgi:application"],
    # Django's runserver as daphne replaces it (daphne in INSTALLED_APPS), without the
    # reloader's second process.
    "runserver": lambda port: [PYTHON, "manage.py", "runserver", "--noreload",
                               f"127.0.0.1:{port}"],
    # uvicorn with its ``websockets`` implementation; Channels' router has no lifespan
    # handler, so lifespan is off rather than probed and logged as unsupported.
    "uvicorn": lambda port: [PYTHON, "-m", "uvicorn", "--host", "127.0.0.1",
                             "--port", str(port), "--ws", "websockets", "--lifespan", "off",
                             "--log-level", "warning", "omni_sales.asgi:application"],
}


@dataclass
class DaphneServer:
    """One ASGI server process serving the project: ``python -m realtime.server`` unless
    ``server`` names another of ``SERVERS``."""

    project: Project
    port: int
    process: subprocess.Popen
    log_path: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    server: str = "realtime"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @classmethod
    def start(cls, project: Project, port: int | None = None,
              extra_env: dict[str, str] | None = None, server: str = "realtime",
              preexec_fn: Callable[[], None] | None = None) -> DaphneServer:
        """``server`` names the ASGI server (SERVERS); ``preexec_fn`` runs in the child
        before it starts (the bench raises its open-files limit there)."""
        command = SERVERS[server]
        port = port or free_port()
        log_path = project.workdir / f"{'daphne' if server == 'realtime' else server}-{port}.log"
        env = {**project.env, **(extra_env or {})}
        with log_path.open("ab") as log:
            process = subprocess.Popen(command(port), cwd=ROOT, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
        started = cls(project, port, process, log_path, extra_env or {}, server)
        started.wait_ready()
        return started

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.server} exited:\n{self.log()}")
            with urllib.request.urlopen(f"{self.http}/api/ws", timeout=1) as response:
                return response.status == 200
        wait_for(ready, timeout=30, what=f"{self.server} on {self.port}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process leaves without closing a socket or saying goodbye."""
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        stop_process(self.process)

    def admin_stats(self, timeout: float = 5) -> dict[str, Any]:
        """``GET /api/ws/stats`` as the demo's admin."""
        credentials = base64.b64encode(f"admin:{DEMO_PASSWORD}".encode()).decode()
        request = urllib.request.Request(f"{self.http}/api/ws/stats",
                                         headers={"Authorization": f"Basic {credentials}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def rss_kib(self) -> int:
        return rss_kib(self.process.pid)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def session_cookie(project: Project, username: str) -> str:
    """Log a user in through Django's auth in another process; the browser's cookie."""
    out = project.shell(
        "from django.test import Client\n"
        "c = Client()\n"
        f"assert c.login(username={username!r}, password={DEMO_PASSWORD!r})\n"
        "print(c.cookies['sessionid'].value)\n")
    return f"sessionid={out.strip().splitlines()[-1]}"


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster (Debian's binaries) on a free loopback port.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the
    ``postgres`` user and is driven through ``runuser``.
    """

    port: int
    datadir: Path
    run_as: list[str]

    @property
    def url(self) -> str:
        return f"postgres://omni@127.0.0.1:{self.port}/omni"

    @staticmethod
    def bindir() -> Path | None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        return found[-1].parent if found else None

    @classmethod
    def start(cls, workdir: Path) -> PostgresServer:
        bindir = cls.bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
        run_as: list[str] = []
        if os.geteuid() == 0:
            run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(workdir, "postgres")
        datadir, port = workdir / "pgdata", free_port()
        subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(datadir), "-U", "omni",
                        "--auth=trust", "-E", "UTF8"], check=True, capture_output=True)
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(datadir), "-l",
                        str(workdir / "pg.log"), "-w", "-o",
                        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                        "start"],
                       check=True, capture_output=True)
        subprocess.run([*run_as, str(bindir.parent / "bin" / "createdb"), "-h", "127.0.0.1",
                        "-p", str(port), "-U", "omni", "omni"], check=True, capture_output=True)
        return cls(port, datadir, run_as)

    def database(self, name: str) -> str:
        """A new, empty database of this cluster; its URL."""
        subprocess.run([*self.run_as, str(self.bindir() / "createdb"), "-h", "127.0.0.1",
                        "-p", str(self.port), "-U", "omni", name], check=True,
                       capture_output=True)
        return f"postgres://omni@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run([*self.run_as, str(self.bindir() / "pg_ctl"), "-D", str(self.datadir),
                        "-m", "immediate", "stop"], capture_output=True)
