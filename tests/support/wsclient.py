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

Frame = dict[str, Any]


def fetch_token(http: str, username: str, password: str) -> str:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    request = urllib.request.Request(f"{http}/api/ws/token", method="POST", data=b"",
                                     headers={"Authorization": f"Basic {credentials}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["token"]


def _matcher(match: str | Callable[[Frame], bool]) -> Callable[[Frame], bool]:
    if callable(match):
        return match
    return lambda f: f.get("type") == match


class WS:
    """One socket; every frame received is kept in ``frames`` for later assertions."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.frames: list[Frame] = []
        self._cursor = 0
        self.connected: Frame | None = None
        self.authenticated: Frame | None = None

    @classmethod
    async def open(cls, url: str, *, cookie: str | None = None, origin: str | None = None,
                   token: str | None = None) -> WS:
        headers = {"Cookie": cookie} if cookie else {}
        conn = await connect(url, additional_headers=headers, origin=origin, open_timeout=10,
                             max_size=None)
        ws = cls(conn)
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

    async def send(self, frame_type: str, data: Any = None, ref: Any = None) -> None:
        frame: Frame = {"type": frame_type, "data": data if data is not None else {}}
        if ref is not None:
            frame["ref"] = ref
        await self.conn.send(json.dumps(frame))

    async def send_raw(self, payload: str | bytes) -> None:
        await self.conn.send(payload)

    async def _read(self, timeout: float) -> Frame:
        raw = await asyncio.wait_for(self.conn.recv(), timeout)
        frame = json.loads(raw)
        frames = frame["data"] if frame.get("type") == "batch" else [frame]
        self.frames.extend(frames)
        return frame

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
            if remaining <= 0:
                raise TimeoutError(f"no matching frame in {timeout}s; got {self.frames[-10:]}")
            await self._read(remaining)

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
