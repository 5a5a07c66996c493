"""A real WebSocket client (the ``websockets`` package) that speaks the protocol."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

Frame = dict[str, Any]


def fetch_token(http: str, username: str, password: str, timeout: float = 5) -> str:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    request = urllib.request.Request(f"{http}/api/ws/token", method="POST", data=b"",
                                     headers={"Authorization": f"Basic {credentials}"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["token"]


def _matcher(match: str | Callable[[Frame], bool]) -> Callable[[Frame], bool]:
    if callable(match):
        return match
    return lambda f: f.get("type") == match


class WS:
    """One socket, read continuously in the background like a real client.

    Every frame received is kept in ``frames``; server pings are answered unless
    ``auto_pong`` is off; ``expect`` waits for a matching frame with a deadline.
    """

    def __init__(self, conn: ClientConnection, auto_pong: bool = True) -> None:
        self.conn = conn
        self.auto_pong = auto_pong
        self.frames: list[Frame] = []
        # ``batch`` frames received (their events are in ``frames``, one by one).
        self.batches = 0
        self._cursor = 0
        self._arrived = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = ""
        # Wall-clock time the close arrived: compared with another process's timestamps.
        self.closed_at: float | None = None
        self.closed = asyncio.Event()
        self.connected: Frame | None = None
        self.authenticated: Frame | None = None
        self._reader = asyncio.create_task(self._pump())

    @classmethod
    async def open(cls, url: str, *, cookie: str | None = None, origin: str | None = None,
                   token: str | None = None, auto_pong: bool = True, **options: Any) -> WS:
        headers = {"Cookie": cookie} if cookie else {}
        conn = await connect(url, additional_headers=headers, origin=origin, open_timeout=10,
                             max_size=None, **options)
        ws = cls(conn, auto_pong)
        ws.connected = await ws.expect("connected")
        if token:
            await ws.send("auth", {"token": token}, ref="open-auth")
            reply = await ws.expect(lambda f: f.get("ref") == "open-auth")
            if reply["type"] != "authenticated":
                raise AssertionError(f"token refused: {reply}")
            ws.authenticated = reply
        return ws

    @property
    def identity(self) -> dict[str, Any]:
        """role, userId and namespaces: from ``authenticated`` if a token was sent."""
        return (self.authenticated or self.connected)["data"]

    async def _pump(self) -> None:
        try:
            async for raw in self.conn:
                frame = json.loads(raw)
                if frame.get("type") == "batch":
                    self.batches += 1
                    self.frames.extend(frame["data"])
                else:
                    self.frames.append(frame)
                self._arrived.set()
                if self.auto_pong and frame.get("type") == "ping":
                    await self.send("pong", frame.get("data"))
        except ConnectionClosed:
            pass
        finally:
            rcvd = self.conn.protocol.close_rcvd
            self.close_code = rcvd.code if rcvd else None
            self.close_reason = rcvd.reason if rcvd else ""
            self.closed_at = time.time()
            self.closed.set()
            self._arrived.set()

    async def send(self, frame_type: str, data: Any = None, ref: Any = None) -> None:
        frame: Frame = {"type": frame_type, "data": data if data is not None else {}}
        if ref is not None:
            frame["ref"] = ref
        await self.conn.send(json.dumps(frame))

    async def send_raw(self, payload: str | bytes) -> None:
        await self.conn.send(payload)

    async def expect(self, match: str | Callable[[Frame], bool], timeout: float = 5.0) -> Frame:
        """The next not-yet-consumed frame that matches, waiting up to ``timeout``."""
        predicate = _matcher(match)
        deadline = time.monotonic() + timeout
        while True:
            while self._cursor < len(self.frames):
                frame = self.frames[self._cursor]
                self._cursor += 1
                if predicate(frame):
                    return frame
            remaining = deadline - time.monotonic()
            if self.closed.is_set() or remaining <= 0:
                state = f"closed with {self.close_code}" if self.closed.is_set() else "open"
                raise TimeoutError(f"no matching frame in {timeout}s ({state}); "
                                   f"last frames: {self.frames[-5:]}")
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def wait_closed(self, timeout: float = 10.0) -> int | None:
        """Wait until the server closes the socket; the close code it sent."""
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def subscribe(self, namespace: str, since: int | None = None) -> Frame:
        data: dict[str, Any] = {"namespace": namespace}
        if since is not None:
            data["since"] = since
        await self.send("subscribe", data, ref=f"sub-{namespace}")
        return await self.expect(lambda f: f.get("ref") == f"sub-{namespace}")

    async def roundtrip(self, ref: str = "sync") -> None:
        """A ping answered by pong: every frame the server sent before it has been read."""
        await self.send("ping", {"ts": ref}, ref=ref)
        await self.expect(lambda f: f["type"] == "pong" and f.get("ref") == ref)

    def events(self, prefix: str = "") -> list[Frame]:
        return [f for f in self.frames if "id" in f and f["type"].startswith(prefix)]

    async def close(self) -> None:
        await self.conn.close()
        await self._reader
