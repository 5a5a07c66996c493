"""realtime.server's protocol stack on one real TCP connection, without a listening server:
what reaches the client, write by write."""

from __future__ import annotations

import asyncio
from typing import Any

from realtime import server
from realtime.upgrade import UpgradingHTTPFactory

HANDSHAKE = (b"GET /api/ws?token=t HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: 13\r\n\r\n")


class Served:
    """A realtime.server (its Daphne server, the HTTP and WebSocket factories) whose one
    connection is a real Twisted TCP transport over a loopback connection (the
    ``tcp_loopback`` fixture), and an application: by default one that accepts and
    reads until the end."""

    def __init__(self, tcp_loopback: Any, application: Any = None) -> None:
        self.transport, self.peer = tcp_loopback
        self.scopes: list[dict] = []
        self.daphne = server.RealtimeServer(application or self.application,
                                            endpoints=["tcp:port=0"])
        self.daphne.connections = {}
        self.daphne.action_logger = lambda protocol, action, details: None
        self.daphne.http_factory = UpgradingHTTPFactory(self.daphne)
        self.daphne.ws_factory = server.RealtimeWebSocketFactory(self.daphne, server="test")
        self.channel = self.daphne.http_factory.buildProtocol(self.transport.getPeer())
        self.transport.protocol = self.channel
        self.channel.makeConnection(self.transport)
        self.requests: list[Any] = []  # Daphne's WebRequests, as they were made
        connected = self.daphne.protocol_connected

        def protocol_connected(protocol: Any) -> None:
            if not isinstance(protocol, server.WebSocketProtocol):
                self.requests.append(protocol)
            connected(protocol)

        self.daphne.protocol_connected = protocol_connected

    async def application(self, scope: dict, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        while True:
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif message["type"] != "websocket.receive":
                return

    async def until(self, condition: Any) -> Any:
        """``condition()``'s first true value, within a few thousand turns of the loop."""
        for _ in range(2000):
            value = condition()
            if value:
                return value
            await asyncio.sleep(0)
        raise AssertionError("condition never met")

    async def read_until(self, marker: bytes) -> bytes:
        seen = b""
        for _ in range(2000):
            try:
                seen += self.peer.recv(65536)
            except BlockingIOError:
                pass
            if marker in seen:
                return seen
            await asyncio.sleep(0)
        raise AssertionError(f"{marker!r} never reached the peer; got {seen!r}")

    def close(self) -> None:
        from twisted.internet.error import ConnectionDone
        from twisted.python.failure import Failure

        self.transport.protocol.connectionLost(Failure(ConnectionDone()))
