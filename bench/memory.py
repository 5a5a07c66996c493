"""Where a socket's bytes go: ``tracemalloc`` over N idle, subscribed sockets.

    .venv/bin/python -m bench.memory [--sockets 5000] [--frames 10]

One ``python -m realtime.server`` process on Redis runs under bench/traced.py.
``WARM`` sockets are opened first (every code path imported, every cache filled),
then a heap snapshot; then N more sockets, each authenticated with a token and
subscribed to ``orders``, then another snapshot. The difference, per socket, is
reported by the line that allocated it (the innermost frame of the project or of
a library other than the standard library's, when the allocation itself is in
the standard library), by package, and in all; beside it the process's RSS per
socket from /proc. The report goes to stdout and bench/results/memory-N-DATE.json.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
import tracemalloc
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from bench.targets import SERVER_ENV, raise_nofile, sample
from tests.support.servers import DEMO_PASSWORD, PYTHON, ROOT, Project, RedisServer, free_port
from tests.support.wsclient import fetch_token

WARM = 50
STDLIB = sysconfig.get_paths()["stdlib"]


async def open_sockets(url: str, tokens: list[str], count: int,
                       concurrency: int = 100) -> list[Any]:
    """``count`` sockets, each authenticated and subscribed, held open."""
    sockets: list[Any] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            ws = await connect(url, max_size=None, open_timeout=60, ping_interval=None)
            await ws.recv()  # connected
            await ws.send(json.dumps({"type": "auth", "data": {"token": tokens[n % len(tokens)]}}))
            await ws.recv()
            await ws.send(json.dumps({"type": "subscribe", "data": {"namespace": "orders"}}))
            await ws.recv()
            sockets.append(ws)

    await asyncio.gather(*(one(n) for n in range(count)))
    return sockets


async def answer_pings(sockets: list[Any], stop: asyncio.Event) -> None:
    """The server's heartbeat: a ``pong`` for each ``ping``, so no socket is dropped."""
    async def serve(ws: Any) -> None:
        while not stop.is_set():
            try:
                frame = json.loads(await ws.recv())
            except Exception:
                return
            if frame.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong", "data": frame.get("data")}))

    await asyncio.gather(*(serve(ws) for ws in sockets))


def snapshot(process: subprocess.Popen, base: Path, n: int) -> tracemalloc.Snapshot:
    process.send_signal(signal.SIGUSR1)
    done = Path(f"{base}.{n}.done")
    deadline = time.monotonic() + 300
    while not done.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("no snapshot from the server")
        time.sleep(0.2)
    return tracemalloc.Snapshot.load(f"{base}.{n}")


def where(trace_frames: Any) -> str:
    """The innermost frame outside the standard library (a builtin's caller); a
    traceback lists its frames from the oldest."""
    frames = list(trace_frames)[::-1]
    for frame in frames:
        if not frame.filename.startswith(STDLIB):
            return f"{short(frame.filename)}:{frame.lineno}"
    frame = frames[0]
    return f"{short(frame.filename)}:{frame.lineno}"


def short(filename: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/", STDLIB + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def package(place: str) -> str:
    return place.split("/", 1)[0].split(".py", 1)[0]


def compare(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot,
            sockets: int) -> dict[str, Any]:
    by_place: Counter[str] = Counter()
    for stat in after.compare_to(before, "traceback"):
        if stat.size_diff:
            by_place[where(stat.traceback)] += stat.size_diff
    by_package: Counter[str] = Counter()
    for place, size in by_place.items():
        by_package[package(place)] += size
    total = sum(by_place.values())
    return {
        "traced_bytes_per_socket": round(total / sockets),
        "by_package": {name: round(size / sockets)
                       for name, size in by_package.most_common() if abs(size) >= sockets * 20},
        "top_lines": [{"where": place, "bytes_per_socket": round(size / sockets)}
                      for place, size in by_place.most_common(30)],
    }


def start_server(project: Project, workdir: Path, frames: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**project.env, "TRACE_SNAPSHOT": str(workdir / "heap"), "TRACE_FRAMES": str(frames)}
    with (workdir / "server.log").open("ab") as log:
        process = subprocess.Popen(
            [PYTHON, "-m", "bench.traced", "-b", "127.0.0.1", "-p", str(port),
             "omni_sales.asgi:application"], cwd=ROOT, env=env, stdout=log,
            stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ws", timeout=1):
                return process, port
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError((workdir / "server.log").read_text()) from None
            time.sleep(0.2)


async def measure(process: subprocess.Popen, port: int, base: Path, tokens: list[str],
                  sockets: int, frames: int) -> dict[str, Any]:
    url = f"ws://127.0.0.1:{port}/api/ws"
    stop = asyncio.Event()
    warm = await open_sockets(url, tokens, WARM)
    pongs = [asyncio.create_task(answer_pings(warm, stop))]
    before_rss = sample([process.pid]).rss
    before = await asyncio.to_thread(snapshot, process, base, 1)
    held = await open_sockets(url, tokens, sockets)
    pongs.append(asyncio.create_task(answer_pings(held, stop)))
    await asyncio.sleep(2)  # the connects' garbage collected, the loop idle
    after_rss = sample([process.pid]).rss
    after = await asyncio.to_thread(snapshot, process, base, 2)
    report = {
        "sockets": sockets, "tracemalloc_frames": frames,
        "rss_kb_per_socket": round((after_rss - before_rss) / sockets / 1024, 1),
        **compare(before, after, sockets),
    }
    stop.set()
    for ws in warm + held:
        await ws.close()
    for task in pongs:
        task.cancel()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--frames", type=int, default=10)
    args = parser.parse_args()
    raise_nofile()
    workdir = Path(tempfile.mkdtemp(prefix="omni-memory-"))
    redis = RedisServer.start(workdir)
    process = None
    try:
        project = Project.create(workdir / "project", redis_url=redis.url, extra_env=SERVER_ENV)
        process, port = start_server(project, workdir, args.frames)
        tokens = [fetch_token(f"http://127.0.0.1:{port}", "manager", DEMO_PASSWORD, timeout=30)
                  for _ in range(16)]
        report = asyncio.run(measure(process, port, workdir / "heap", tokens, args.sockets,
                                     args.frames))
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(30)
        redis.stop()
    out = ROOT / "bench" / "results" / f"memory-{args.sockets}-{dt.date.today()}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    json.dump(report, sys.stdout, indent=2)
    print(f"\njson: {out}", file=sys.stderr)


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
