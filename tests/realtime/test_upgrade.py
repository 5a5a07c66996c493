"""realtime.upgrade: a whole WebSocket handshake in a connection's first read goes straight
to autobahn, with Daphne's checks; anything else takes Daphne's path, as before."""

from __future__ import annotations

from typing import Any

import pytest

from realtime import server
from realtime.upgrade import MAX_HANDSHAKE, upgrade_query
from tests.support.served import HANDSHAKE, Served


def test_a_whole_upgrade_request_gives_its_query_string() -> None:
    assert upgrade_query(HANDSHAKE) == b"token=t"
    assert upgrade_query(HANDSHAKE.replace(b"?token=t", b"")) == b""
    assert upgrade_query(HANDSHAKE.replace(b"Upgrade: websocket", b"upgrade:WebSocket ")) == b"token=t"
    assert upgrade_query(HANDSHAKE.replace(b"Host: 127.0.0.1:8000", b"Host:\t127.0.0.1:8000")) == (
        b"token=t")


@pytest.mark.parametrize("data", [
    HANDSHAKE[:-2],  # the headers not complete yet: a second read follows
    HANDSHAKE + b"\x81\x00",  # bytes after the handshake
    HANDSHAKE.replace(b"HTTP/1.1", b"HTTP/1.0"),
    HANDSHAKE.replace(b"GET ", b"POST "),
    HANDSHAKE.replace(b"GET /api/ws?token=t", b"GET  /api/ws"),  # not three parts
    HANDSHAKE.replace(b"Host:", b"Bad Host:"),  # a header name that is not a token
    HANDSHAKE.replace(b"Host: 127.0.0.1:8000", b" folded"),  # obsolete line folding
    HANDSHAKE.replace(b"Host: 127.0.0.1:8000", b"Host 127.0.0.1"),  # no colon
    HANDSHAKE.replace(b"127.0.0.1:8000", b"127.0.0.1\x0b"),  # a byte RFC 9110 forbids
    # NUL, a bare CR or LF in a value: Twisted refuses them (a header smuggled in by a
    # parser that splits lines on any of them)
    HANDSHAKE.replace(b"127.0.0.1:8000", b"127.0.0.1\x00"),
    HANDSHAKE.replace(b"Connection:", b"User-Agent: x\rX-Forwarded-For: 6.6.6.6\r\nConnection:"),
    HANDSHAKE.replace(b"Connection:", b"User-Agent: x\nOrigin: http://evil.example\r\nConnection:"),
    HANDSHAKE.replace(b"Connection:", "User-Agent: ß\r\nConnection:".encode()),  # not ASCII
    HANDSHAKE.replace(b"Connection:", b"X-Forwarded-For: 203.0.113.\xff\r\nConnection:"),
    # a header twice: Twisted joins the lines, autobahn alone would refuse them
    HANDSHAKE.replace(b"Connection:", b"Sec-WebSocket-Extensions: a\r\n"
                      b"Sec-WebSocket-Extensions: b\r\nConnection:"),
    HANDSHAKE.replace(b"Connection:", b"host: 127.0.0.1:8000\r\nConnection:"),
    HANDSHAKE.replace(b"Connection:", b"".join(b"a%d: x\r\n" % n for n in range(500))
                      + b"Connection:"),  # more headers than Twisted takes
    HANDSHAKE.replace(b"/api/ws", b"/api/ws\x00"),  # a control byte in the target
    HANDSHAKE.replace(b"/api/ws", b"/api/ws\x7f"),
    HANDSHAKE.replace(b"Connection:", b"Content-Length: 0\r\nConnection:"),
    HANDSHAKE.replace(b"Connection:", b"Transfer-Encoding: chunked\r\nConnection:"),
    HANDSHAKE.replace(b"Upgrade: websocket", b"Upgrade: h2c"),
    HANDSHAKE.replace(b"Upgrade: websocket\r\n", b""),
    HANDSHAKE.replace(b"Upgrade: websocket", b"Upgrade: h2c\r\nUpgrade: websocket"),
    HANDSHAKE.replace(b"/api/ws", "/api/wß".encode()),  # not ASCII
    HANDSHAKE.replace(b"token=t", "token=ß".encode()),
    HANDSHAKE.replace(b"Connection:", b"X-Pad: " + b"a" * MAX_HANDSHAKE + b"\r\nConnection:"),
])
def test_anything_else_is_left_to_daphne(data: bytes) -> None:
    assert upgrade_query(data) is None


async def test_a_handshake_in_one_read_is_read_once_by_autobahn(tcp_loopback: Any) -> None:
    served = Served(tcp_loopback)
    http = served.channel._channel
    deadline = http._deadline_call
    assert deadline is not None and deadline.active()
    try:
        served.channel.dataReceived(HANDSHAKE)
        assert b"101 Switching Protocols" in await served.read_until(b"\r\n\r\n")
        socket = served.transport.protocol
        assert isinstance(socket, server.RealtimeWebSocketProtocol)
        assert served.requests == []  # no Daphne request was made
        assert not deadline.active() and http.timeOut is None  # nothing times it now
        assert served.transport.producer is None  # the channel let go
        (scope,) = served.scopes
        assert scope["path"] == "/api/ws" and scope["query_string"] == b"token=t"
        assert (b"host", b"127.0.0.1:8000") in scope["headers"]
    finally:
        served.close()


async def test_a_handshake_in_two_reads_takes_daphnes_path(tcp_loopback: Any) -> None:
    served = Served(tcp_loopback)
    try:
        served.channel.dataReceived(HANDSHAKE[:40])
        served.channel.dataReceived(HANDSHAKE[40:])
        assert b"101 Switching Protocols" in await served.read_until(b"\r\n\r\n")
        assert len(served.requests) == 1  # Daphne's request did the upgrade
        assert isinstance(served.transport.protocol, server.RealtimeWebSocketProtocol)
        assert served.scopes[0]["query_string"] == b"token=t"
    finally:
        served.close()


async def test_a_handshake_daphne_refuses_is_still_refused(tcp_loopback: Any) -> None:
    served = Served(tcp_loopback)
    served.channel.dataReceived(HANDSHAKE.replace(b"127.0.0.1:8000", b"127.0.0.1\x0b"))
    transport = served.transport
    # Daphne's answer, as Twisted holds it for the reactor to write.
    answer = bytes(transport.dataBuffer) + b"".join(transport._tempDataBuffer)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request") and b"Invalid header value" in answer
    assert len(served.requests) == 1 and served.scopes == []
    assert not isinstance(transport.protocol, server.WebSocketProtocol)
