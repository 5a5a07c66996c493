"""Load-client worker in Python (asyncio + ``websockets``), the same protocol as client.js.

``python -m bench.client_py`` reads JSON command lines on stdin and answers each with
one JSON line on stdout; bench/run.py starts several of these processes, each holding
a share of the sockets. Used where Node is not available, and by the CI smoke test.
It speaks only the project's protocol (``proto`` "rt"), not socket.io.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import sys
import time
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

_ts_cache: dict[Any, float] = {}


def now_ms() -> float:
    return time.time() * 1000


def ts_ms(event_id: Any, ts: Any) -> float:
    value = _ts_cache.get(event_id)
    if value is None:
        if isinstance(ts, (int, float)):
            value = float(ts)
        else:
            value = datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000
        if len(_ts_cache) > 100_000:
            _ts_cache.clear()
        _ts_cache[event_id] = value
    return value


def r2(x: float) -> float:
    return round(x, 2)


class Measure:
    def __init__(self, events: int, total: int) -> None:
        self.events = events
        self.total = total
        self.lat: list[float] = []
        self.first: list[float] = []
        self.done = 0
        self.delivered = 0
        self.dupes = 0
        self.first_recv: float | None = None
        self.last_recv: float | None = None
        self.finished = asyncio.Event()
        self.probe_auth: list[float] = []
        self.probe_errors = 0
        self.stop_probes = False


class Sock:
    def __init__(self, worker: Worker, conn: ClientConnection) -> None:
        self.worker = worker
        self.conn = conn
        self.count = 0
        self.last_id = -1
        self.reader: asyncio.Task | None = None

    def on_event(self, event: dict[str, Any], t: float) -> None:
        m = self.worker.measure
        if m is None:
            return
        event_id = event["id"]
        if event_id <= self.last_id:
            m.dupes += 1
            return
        self.last_id = event_id
        lat = t - ts_ms(event_id, event["ts"])
        m.lat.append(r2(lat))
        m.delivered += 1
        if m.first_recv is None:
            m.first_recv = t
        m.last_recv = t
        if self.count == 0:
            m.first.append(r2(lat))
        self.count += 1
        if self.count == m.events:
            m.done += 1
            if m.done == m.total:
                m.finished.set()

    async def pump(self) -> None:
        try:
            async for text in self.conn:
                t = now_ms()
                f = json.loads(text)
                if "namespace" in f and "id" in f:
                    self.on_event(f, t)
                elif f.get("type") == "batch":
                    for e in f.get("data") or []:
                        if "namespace" in e and "id" in e:
                            self.on_event(e, t)
                elif f.get("type") == "ping":
                    await self.conn.send(json.dumps({"type": "pong", "data": f.get("data")}))
        except ConnectionClosed:
            pass


async def handshake(url: str, token: str, namespace: str | None,
                    wait_s: float) -> tuple[ClientConnection, float]:
    """Open, auth and subscribe; returns the connection and the auth time (ms)."""
    conn = await connect(url, compression=None, open_timeout=wait_s, max_size=None,
                         ping_interval=None)
    try:
        async with asyncio.timeout(wait_s):
            stage = "connecting"
            t_auth = 0.0
            auth_ms = 0.0
            while True:
                f = json.loads(await conn.recv())
                kind = f.get("type")
                if kind == "ping":
                    await conn.send(json.dumps({"type": "pong", "data": f.get("data")}))
                elif kind == "connected" and stage == "connecting":
                    stage = "auth"
                    t_auth = now_ms()
                    await conn.send(json.dumps({"type": "auth", "data": {"token": token}}))
                elif kind == "authenticated" and stage == "auth":
                    auth_ms = now_ms() - t_auth
                    if namespace is None:
                        return conn, auth_ms
                    stage = "subscribe"
                    await conn.send(json.dumps({"type": "subscribe",
                                                "data": {"namespace": namespace}}))
                elif kind == "subscribed" and stage == "subscribe":
                    return conn, auth_ms
                elif kind == "error":
                    raise RuntimeError(f"error frame {f.get('data')}")
    except BaseException:
        await conn.close()
        raise


class Worker:
    def __init__(self) -> None:
        self.sockets: list[Sock] = []
        self.measure: Measure | None = None

    async def connect(self, cmd: dict[str, Any]) -> dict[str, Any]:
        urls, tokens, namespace = cmd["urls"], cmd["tokens"], cmd.get("namespace")
        first, count = cmd["first"], cmd["count"]
        timeout = cmd.get("timeout", 120)
        result: dict[str, Any] = {"cmd": "connect", "ok": 0, "failed": 0, "errors": {},
                                  "auth_ms": [], "open_ms": [], "t_start": now_ms()}
        gate = asyncio.Semaphore(cmd.get("concurrency", 100))

        async def one(i: int) -> None:
            async with gate:
                t0 = now_ms()
                try:
                    conn, auth_ms = await handshake(urls[i % len(urls)], tokens[i % len(tokens)],
                                                    namespace, timeout)
                except Exception as exc:  # noqa: BLE001 - counted and reported
                    result["failed"] += 1
                    key = f"{type(exc).__name__} {exc}"[:80]
                    result["errors"][key] = result["errors"].get(key, 0) + 1
                    return
                sock = Sock(self, conn)
                sock.reader = asyncio.create_task(sock.pump())
                self.sockets.append(sock)
                result["ok"] += 1
                result["auth_ms"].append(r2(auth_ms))
                result["open_ms"].append(r2(now_ms() - t0))

        await asyncio.gather(*(one(first + k) for k in range(count)))
        result["t_end"] = now_ms()
        return result

    async def probe_loop(self, m: Measure, probe: dict[str, Any]) -> None:
        while not m.stop_probes and len(m.probe_auth) + m.probe_errors < probe.get("max", 200):
            try:
                conn, auth_ms = await handshake(probe["url"], probe["token"], None, 30)
                m.probe_auth.append(r2(auth_ms))
                await conn.close()
            except Exception:  # noqa: BLE001 - counted
                m.probe_errors += 1
            await asyncio.sleep(probe.get("interval", 20) / 1000)

    async def expect(self, cmd: dict[str, Any]) -> dict[str, Any]:
        for sock in self.sockets:
            sock.count = 0
        m = self.measure = Measure(cmd["events"], len(self.sockets))
        probes = []
        if cmd.get("probe"):
            probes = [asyncio.create_task(self.probe_loop(m, cmd["probe"]))
                      for _ in range(cmd["probe"].get("concurrency", 2))]
        emit({"cmd": "expect", "armed": True})
        timed_out = False
        if self.sockets and m.events:
            try:
                await asyncio.wait_for(m.finished.wait(), cmd["timeout"])
            except TimeoutError:
                timed_out = True
        self.measure = None
        m.stop_probes = True
        if probes:
            await asyncio.gather(*probes)
        counts = [s.count for s in self.sockets]
        return {"cmd": "expect", "delivered": m.delivered, "expected": m.events * len(counts),
                "sockets": len(counts), "complete": m.done, "dupes": m.dupes,
                "per_socket_min": min(counts, default=0), "per_socket_max": max(counts, default=0),
                "first_recv": m.first_recv, "last_recv": m.last_recv, "lat_ms": m.lat,
                "first_ms": m.first, "probe_auth_ms": m.probe_auth,
                "probe_errors": m.probe_errors, "timed_out": timed_out}

    async def close(self, cmd: dict[str, Any]) -> dict[str, Any]:
        sockets, self.sockets = self.sockets, []

        async def one(sock: Sock) -> None:
            with contextlib.suppress(Exception):
                await sock.conn.close()
            if sock.reader:
                await sock.reader

        lingering = 0
        try:
            await asyncio.wait_for(asyncio.gather(*(one(s) for s in sockets)),
                                   cmd.get("timeout", 30))
        except TimeoutError:
            lingering = sum(1 for s in sockets if s.reader and not s.reader.done())
        return {"cmd": "close", "closed": len(sockets), "lingering": lingering}


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    worker = Worker()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            return
        if not line.strip():
            continue
        cmd = json.loads(line)
        name = cmd["cmd"]
        if name == "exit":
            return
        handler = {"connect": worker.connect, "expect": worker.expect,
                   "close": worker.close}.get(name)
        if handler is None:
            emit({"cmd": name, "error": "unknown command"})
        else:
            emit(await handler(cmd))


if __name__ == "__main__":
    asyncio.run(main())
