"""Flooding clients and a bystander that pings: tests/e2e/test_flood.py and bench/flood.py.

A flooder sends ``frames`` pings as fast as the connection takes them, without reading
their answers; the bystander pings every ``every`` seconds meanwhile and times each
round trip. A round ends when every flooder's connection is closed (or ``timeout``).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.wsclient import WS

ROOT = Path(__file__).resolve().parents[2]




@dataclass
class Round:
    sent: list[int] = field(default_factory=list)        # frames each flooder got out
    close_codes: list[int | None] = field(default_factory=list)
    rtts_ms: list[float] = field(default_factory=list)   # the bystander's round trips
    lost_pongs: int = 0
    seconds: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.rtts_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.rtts_ms) if self.rtts_ms else 0.0


async def flooder(url: str, frames: int, timeout: float) -> tuple[int, int | None]:
    """Frames sent, and the close code the server sent (None: no close frame)."""
    text = json.dumps({"type": "ping", "data": {"ts": "x" * 64}})
    sent = 0
    async with connect(url, max_size=None, open_timeout=10, close_timeout=2) as conn:
        await conn.recv()  # connected
        reader = asyncio.create_task(_drain(conn))
        try:
            async with asyncio.timeout(timeout):
                for _ in range(frames):
                    await conn.send(text)
                    sent += 1
                await conn.wait_closed()
        except (ConnectionClosed, TimeoutError):
            pass
        reader.cancel()
        received = conn.protocol.close_rcvd
    return sent, received.code if received else None


async def _drain(conn) -> None:
    """Read (and drop) what the server answers, as a client that floods still does."""
    try:
        async for _ in conn:
            pass
    except ConnectionClosed:
        pass


async def bystander(ws: WS, every: float, stop: asyncio.Event, result: Round) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        ref = f"by-{n}"
        started = time.perf_counter()
        await ws.send("ping", {"ts": ref}, ref=ref)
        try:
            await ws.expect(lambda f, ref=ref: f["type"] == "pong" and f.get("ref") == ref,
                            timeout=5)
            result.rtts_ms.append((time.perf_counter() - started) * 1000)
        except TimeoutError:
            result.lost_pongs += 1
        await asyncio.sleep(every)


async def flooders_here(url: str, flooders: int, frames: int,
                        timeout: float) -> list[tuple[int, int | None]]:
    return await asyncio.gather(*(flooder(url, frames, timeout) for _ in range(flooders)))


async def flood_round(url: str, flooders: int = 8, frames: int = 10_000,
                      every: float = 0.05, timeout: float = 60.0) -> Round:
    """One round. The flooders run in a process of their own: sending 80,000 frames
    keeps an event loop busy, and the bystander's round trips must time the server's
    delay, not this process's."""
    result = Round()
    watcher = await WS.open(url)
    stop = asyncio.Event()
    pinging = asyncio.create_task(bystander(watcher, every, stop, result))
    started = time.monotonic()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.support.flood", url, str(flooders), str(frames),
        str(timeout), cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    out, _ = await asyncio.wait_for(child.communicate(), timeout + 30)
    result.seconds = time.monotonic() - started
    await asyncio.sleep(every * 4)  # a few round trips after the flood, too
    stop.set()
    await pinging
    await watcher.close()
    outcomes = json.loads(out.decode().strip().splitlines()[-1])
    result.sent = [sent for sent, _ in outcomes]
    result.close_codes = [code for _, code in outcomes]
    return result


if __name__ == "__main__":
    target, count, each, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    print(json.dumps(asyncio.run(flooders_here(target, count, each, limit))))
