"""realtime.server: the Daphne arguments it adds unless the command line sets them."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import subprocess
import weakref
from pathlib import Path
from typing import Any

import pytest
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol

from realtime import server
from realtime.inbox import Inbox
from tests.support.served import HANDSHAKE, Served
from tests.support.servers import PYTHON, ROOT, free_port, port_open, wait_for


@pytest.fixture
def daphne_args(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The argument lists ``main`` hands to Daphne's command line (which is not run)."""
    calls: list[list[str]] = []
    monkeypatch.setattr(server.RealtimeCommandLine, "run", lambda self, args: calls.append(args))
    monkeypatch.setattr(server, "tune_gc", lambda args: None)
    # main() sets these process-wide; put them back afterwards.
    monkeypatch.setattr(server.daphne_server, "WebSocketFactory",
                        server.daphne_server.WebSocketFactory)
    monkeypatch.setattr(server.RealtimeWebSocketProtocol, "max_outbound",
                        server.RealtimeWebSocketProtocol.max_outbound)
    monkeypatch.setattr(server.daphne_server, "HTTPFactory", server.daphne_server.HTTPFactory)
    monkeypatch.setattr(server.HeaderDeadlineChannel, "deadline",
                        server.HeaderDeadlineChannel.deadline)
    return calls


def value_of(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_defaults_payload_limit_and_leaves_pinging_to_the_heartbeat(
        daphne_args: list[list[str]], realtime_settings: Any) -> None:
    realtime_settings(MAX_PAYLOAD=65536)
    server.main(["-b", "127.0.0.1", "omni_sales.asgi:application"])
    (args,) = daphne_args
    assert value_of(args, "--websocket-max-message-size") == "65536"
    assert value_of(args, "--websocket-max-frame-size") == "65536"
    assert value_of(args, "--ping-interval") == str(server.DAPHNE_PING_INTERVAL)
    assert args[-3:] == ["-b", "127.0.0.1", "omni_sales.asgi:application"]


@pytest.mark.parametrize("timeout", [2.5, None])
def test_http_connections_get_the_handshake_deadline(
        daphne_args: list[list[str]], realtime_settings: Any, timeout: float | None) -> None:
    realtime_settings(HANDSHAKE_TIMEOUT=timeout)
    server.main(["omni_sales.asgi:application"])
    assert server.daphne_server.HTTPFactory is server.UpgradingHTTPFactory
    assert server.HeaderDeadlineChannel.deadline == timeout
    assert server.UpgradingHTTPFactory.channel.deadline == timeout


def test_the_command_line_wins(daphne_args: list[list[str]]) -> None:
    server.main(["--ping-interval", "15", "omni_sales.asgi:application"])
    (args,) = daphne_args
    assert args.count("--ping-interval") == 1 and value_of(args, "--ping-interval") == "15"


def test_protocol_options_live_on_the_class_not_on_every_socket() -> None:
    """autobahn copies every option a protocol class lacks into each connection."""
    factory = server.RealtimeWebSocketFactory(object(), server="Daphne")
    factory.setProtocolOptions(autoPingTimeout=7, perMessageCompressionAccept=lambda o: None)
    first = factory.buildProtocol(("127.0.0.1", 1))
    # The part of autobahn's connection set-up that copies the options (no transport).
    AutobahnProtocol._connectionMade(first)
    for name in server.RealtimeWebSocketProtocol.CONFIG_ATTRS:
        assert name not in vars(first), name
    assert first.autoPingTimeout == 7 and first.failByDrop is False
    # A callback option stays the factory's function, not a method of the socket.
    assert first.perMessageCompressionAccept is factory.perMessageCompressionAccept
    factory.setProtocolOptions(autoPingTimeout=9)
    assert factory.buildProtocol(("127.0.0.1", 2)).autoPingTimeout == 9


def test_settings_option_is_taken_out_of_daphnes_arguments(
        daphne_args: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """django-admin's ``--settings``, both spellings; Daphne's command line rejects it."""
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    server.main(["--settings", "omni_sales.settings", "-b", "127.0.0.1",
                 "omni_sales.asgi:application"])
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "omni_sales.settings"
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "elsewhere.settings")
    server.main(["-b", "127.0.0.1", "--settings=omni_sales.settings",
                 "omni_sales.asgi:application"])
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "omni_sales.settings"  # the option wins
    for args in daphne_args:
        assert not any(arg.startswith("--settings") for arg in args), args
        assert "omni_sales.settings" not in args
        assert args[-3:] == ["-b", "127.0.0.1", "omni_sales.asgi:application"]


@pytest.mark.parametrize("argv", [["omni_sales.asgi:application"],
                                  ["omni_sales.asgi:application", "--settings"],
                                  ["--settings=", "omni_sales.asgi:application"]])
def test_no_settings_is_status_2_and_one_line(
        daphne_args: list[list[str]], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")
    with pytest.raises(SystemExit) as exit_info:
        server.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--settings" in err
    assert daphne_args == []


def server_env(tmp_path: Path) -> dict[str, str]:
    """This environment without DJANGO_SETTINGS_MODULE (pytest-django sets it), with a
    database and var dir of the test's own."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "OMNI_VAR_DIR": str(tmp_path / "var"), "SECRET_KEY": "server-test",
            "PYTHONUNBUFFERED": "1"}


def test_the_command_without_settings_exits_2_with_the_message(tmp_path: Path) -> None:
    """Not the demo's settings by default: in a host that was ModuleNotFoundError."""
    result = subprocess.run(
        [PYTHON, "-m", "realtime.server", "-b", "127.0.0.1", "-p", str(free_port()),
         "omni_sales.asgi:application"],
        cwd=ROOT, env=server_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr == server.NO_SETTINGS + "\n"


@pytest.mark.e2e
def test_the_command_with_the_settings_option_serves(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [PYTHON, "-m", "realtime.server", "--settings", "omni_sales.settings",
             "-b", "127.0.0.1", "-p", str(port), "omni_sales.asgi:application"],
            cwd=ROOT, env=server_env(tmp_path), stdout=log, stderr=subprocess.STDOUT)
    try:
        # True once it has exited too, so an early exit fails at once with the log.
        wait_for(lambda: process.poll() is not None or port_open(port), timeout=30,
                 what=f"realtime.server on {port}")
        assert process.poll() is None, (tmp_path / "server.log").read_text()
    finally:
        process.terminate()
        process.wait(15)


class _Transport:
    """A transport that is TLS or not, for ``websocket_scheme``."""


@pytest.mark.parametrize(("forwarded", "tls", "scheme"), [
    (None, False, "ws"), (None, True, "wss"), ("https", False, "wss"), ("HTTPS", False, "wss"),
    ("http", True, "ws"), ("gopher", True, "wss")])
async def test_a_websocket_scope_gets_the_scheme_the_client_used(
        forwarded: str | None, tls: bool, scheme: str) -> None:
    """Daphne leaves ``scheme`` out of a WebSocket scope; the origin check needs it.
    ``client_scheme`` is what Daphne read from X-Forwarded-Proto (--proxy-headers)."""
    from twisted.internet.interfaces import ISSLTransport
    from zope.interface import alsoProvides

    class Protocol:
        pass

    transport = _Transport()
    if tls:
        alsoProvides(transport, ISSLTransport)
    protocol = Protocol()
    protocol.transport = transport  # type: ignore[attr-defined]
    if forwarded is not None:
        protocol.client_scheme = forwarded  # type: ignore[attr-defined]
    assert server.websocket_scheme(protocol) == scheme
    created: list[dict] = []

    async def application(scope: dict, receive: Any, send: Any) -> None:
        created.append(scope)
        assert await receive() == {"type": "websocket.connect"}

    daphne = server.RealtimeServer.__new__(server.RealtimeServer)
    daphne.application = application
    for scope in ({"type": "websocket"}, {"type": "websocket", "scheme": "ws"},
                  {"type": "http", "scheme": "http"}):
        daphne.connections = {protocol: {}}
        inbox = daphne.create_application(protocol, scope)
        assert isinstance(inbox, Inbox)  # Daphne's queue, lighter (realtime/inbox.py)
        inbox.put_nowait({"type": "websocket.connect"})
        await daphne.connections[protocol]["application_instance"]
    assert [scope.get("scheme") for scope in created] == [scheme, "ws", "http"]


@pytest.mark.parametrize(("endpoint", "listened"), [
    ("tcp:port=8000:interface=127.0.0.1", "tcp:port=8000:interface=127.0.0.1:backlog=2048"),
    ("tcp:port=8000:interface=127.0.0.1:backlog=10", "tcp:port=8000:interface=127.0.0.1:backlog=10"),
    ("unix:/run/omni.sock", "unix:/run/omni.sock"),
    ("fd:fileno=3", "fd:fileno=3"),
])
def test_tcp_endpoints_listen_with_a_backlog_for_a_reconnect_storm(endpoint: str,
                                                                  listened: str) -> None:
    assert server.with_backlog(endpoint, 2048) == listened


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """A client's frame (RFC 6455: clients mask), with a zero mask to keep it readable."""
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


async def test_an_upgraded_socket_keeps_nothing_of_its_http_request_but_the_path() -> None:
    """Daphne's upgrade leaves Twisted's HTTP channel registered as the transport's
    producer, holding Daphne's request, and autobahn keeps the raw handshake and its
    parsed headers: about 4 KB per open socket. Here the whole upgrade runs as in a
    server (Daphne's request over Twisted's test transport): the channel and the request
    are freed by reference counting alone, the socket still carries frames both ways,
    and its close still logs the path."""
    from twisted.internet.address import IPv4Address
    from twisted.internet.error import ConnectionDone
    from twisted.internet.testing import StringTransport
    from twisted.python.failure import Failure

    from realtime.http_deadline import RealtimeHTTPFactory

    received: list[dict] = []
    scopes: list[dict] = []

    async def application(scope: dict, receive: Any, send: Any) -> None:
        scopes.append(scope)
        while True:
            message = await receive()
            received.append(message)
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif message["type"] == "websocket.receive":
                await send({"type": "websocket.send", "text": "echo " + message["text"]})
            else:
                return

    async def until(condition: Any) -> None:
        for _ in range(1000):
            if condition():
                return
            await asyncio.sleep(0)
        raise AssertionError("condition not met")

    daphne = server.RealtimeServer(application, endpoints=["tcp:port=0"])
    daphne.connections = {}
    daphne.http_factory = RealtimeHTTPFactory(daphne)
    daphne.ws_factory = server.RealtimeWebSocketFactory(daphne, server="test")
    logged: list[tuple[str, str, dict]] = []
    daphne.action_logger = lambda protocol, action, details: logged.append(
        (protocol, action, details))
    channel = daphne.http_factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 5555))
    class TCPTransport(StringTransport):
        def unregisterProducer(self) -> None:  # noqa: N802 (Twisted's)
            self.producer = None  # as a TCP connection's: tolerated with none registered

    transport = TCPTransport(peerAddress=IPv4Address("TCP", "127.0.0.1", 5555),
                                hostAddress=IPv4Address("TCP", "127.0.0.1", 8000))
    channel.makeConnection(transport)
    transport.protocol = channel
    assert transport.producer is not None  # the HTTP channel, until the upgrade
    channel.dataReceived(
        b"GET /api/ws?token=t HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n")
    await until(lambda: b"101 Switching Protocols" in transport.value())
    (request,) = [p for p in daphne.connections if not isinstance(p, server.WebSocketProtocol)]
    released = [weakref.ref(request.channel), weakref.ref(request)]
    # What Daphne's application checker does with a request that is done.
    del daphne.connections[request]
    del channel, request
    gc.disable()  # no cycle collector: freed by reference counting or not at all
    try:
        assert [ref() for ref in released] == [None, None]
    finally:
        gc.enable()

    socket = transport.protocol
    assert isinstance(socket, server.RealtimeWebSocketProtocol)
    assert transport.producer is None
    assert socket.http_headers is None and socket.http_request_data is None
    assert socket.request.path == "/api/ws"
    assert (b"host", b"127.0.0.1:8000") in scopes[0]["headers"]  # the application's own
    transport.clear()
    socket.dataReceived(masked_frame(0x1, b"hi"))
    await until(lambda: b"echo hi" in transport.value())
    socket.dataReceived(masked_frame(0x8, (1000).to_bytes(2, "big")))
    assert transport.disconnecting  # the close answered, the connection let go
    socket.connectionLost(Failure(ConnectionDone()))
    await until(lambda: received[-1]["type"] == "websocket.disconnect")
    assert [(action, details["path"]) for _, action, details in logged
            if action in {"connected", "disconnected"}] == [
        ("connected", "/api/ws"), ("disconnected", "/api/ws")]


async def test_server_send_writes_now_only_while_the_connection_is_open() -> None:
    """``ServerSend`` is Daphne's send, awaited; ``now`` is the same write without a
    coroutine (the fan-out's), and like Daphne's it writes nothing once the socket is
    closing or gone (Daphne marks it gone when autobahn has left ``STATE_OPEN``)."""

    class Protocol:
        STATE_OPEN = AutobahnProtocol.STATE_OPEN

        def __init__(self) -> None:
            self.replies: list[dict] = []
            self.state = AutobahnProtocol.STATE_OPEN

        def handle_reply(self, message: dict) -> None:
            self.replies.append(message)

    protocol = Protocol()
    daphne = server.RealtimeServer.__new__(server.RealtimeServer)
    daphne.connections = {protocol: {"connected": 0.0}}
    send = server.ServerSend(daphne, protocol)
    await send({"type": "websocket.send", "text": "awaited"})
    send.now({"type": "websocket.send", "text": "now"})
    protocol.state = AutobahnProtocol.STATE_CLOSING
    send.now({"type": "websocket.send", "text": "while closing"})
    protocol.state = AutobahnProtocol.STATE_CLOSED
    daphne.connections[protocol]["disconnected"] = 1.0
    send.now({"type": "websocket.send", "text": "after the close"})
    await send({"type": "websocket.send", "text": "awaited after the close"})
    assert [reply["text"] for reply in protocol.replies] == ["awaited", "now"]


def open_protocol(transport: Any, compress: Any = None) -> Any:
    """realtime.server's protocol on an open socket over ``transport``, without a
    handshake (``handle_reply`` reads only these)."""
    protocol = server.RealtimeWebSocketProtocol.__new__(server.RealtimeWebSocketProtocol)
    protocol.state = AutobahnProtocol.STATE_OPEN
    protocol.transport = transport
    protocol._perMessageCompress = compress
    return protocol


class CountedSocket:
    """A socket whose ``send`` calls are counted (a real socket's attributes are fixed)."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.sends = 0

    def send(self, data: bytes) -> int:
        self.sends += 1
        return self.socket.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.socket, name)


def test_frames_sent_together_reach_the_peer_in_one_write(tcp_pair: Any) -> None:
    from realtime.frames import frames_message, send_message

    transport, peer = tcp_pair
    sends = [send_message(f'{{"id":{n}}}') for n in (1, 2, 3)]
    with Writes(transport) as writes:
        open_protocol(transport).handle_reply(frames_message(sends))
        assert peer.recv(4096) == b"".join(send["realtime.wire"] for send in sends)
        assert writes.sends == 1


def test_frames_sent_together_to_a_compressed_socket_go_one_by_one(tcp_pair: Any) -> None:
    """A compressed socket's frames are compressed each by itself: autobahn frames them,
    in order, and nothing is written as the uncompressed bytes."""
    from realtime.frames import frames_message, send_message

    transport, peer = tcp_pair
    protocol = open_protocol(transport, compress=object())
    sent: list[str] = []
    protocol.serverSend = lambda content, binary=False: sent.append(content)
    protocol.handle_reply(frames_message([send_message(f'{{"id":{n}}}') for n in (1, 2)]))
    assert sent == ['{"id":1}', '{"id":2}']
    with pytest.raises(BlockingIOError):
        peer.recv(4096)


class Writes:
    """Counts the ``send`` calls on a transport's socket: what the kernel was handed."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.socket = transport.socket = CountedSocket(transport.socket)

    def __enter__(self) -> CountedSocket:
        return self.socket

    def __exit__(self, *exc: Any) -> None:
        self.transport.socket = self.socket.socket


def accepting(then: Any, accept: dict | None = None) -> Any:
    """An application that accepts (as the consumer does, unless ``accept`` says
    otherwise), then sends ``await then()``'s message, then reads until the end."""
    from realtime.frames import accept_message

    async def application(scope: dict, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.connect":
                await send(accept or accept_message())
                following = await then()
                if following is not None:
                    await send(following)
            elif message["type"] != "websocket.receive":
                return

    return application


async def answer() -> dict:
    await asyncio.sleep(0)  # as the consumer's admit does: the loop turns in between
    from realtime.frames import send_message

    return send_message('{"type":"connected","data":{}}')


async def test_the_handshake_response_goes_out_with_the_frame_that_follows(
        tcp_loopback: Any) -> None:
    """One send per connection fewer: the consumer's ``connected`` frame takes the 101
    along, in order."""
    served = Served(tcp_loopback, accepting(answer))
    try:
        with Writes(served.transport) as writes:
            served.channel.dataReceived(HANDSHAKE)
            seen = await served.read_until(b'"connected"')
            assert seen.startswith(b"HTTP/1.1 101 Switching Protocols")
            assert seen.endswith(b'\x81\x1e{"type":"connected","data":{}}')
            assert writes.sends == 1
    finally:
        served.close()


async def test_a_refusal_right_after_the_accept_takes_the_101_along(tcp_loopback: Any) -> None:
    """Over a connection cap the consumer closes at once (4013): the client still gets
    the handshake's response first, then the close frame."""
    async def refuse() -> dict:
        await asyncio.sleep(0)
        return {"type": "websocket.close", "code": 4013}

    served = Served(tcp_loopback, accepting(refuse))
    try:
        with Writes(served.transport) as writes:
            served.channel.dataReceived(HANDSHAKE)
            seen = await served.read_until(b"\x88")
            head, _, close = seen.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 101 Switching Protocols")
            assert close[:4] == b"\x88\x02" + (4013).to_bytes(2, "big")
            assert writes.sends == 1
    finally:
        served.close()


@contextlib.asynccontextmanager
async def waiting_after_accept(tcp_loopback: Any, accept: dict | None = None) -> Any:
    """A served connection whose application accepts (``accept``, by default the
    consumer's, which promises a frame) and then sends nothing until the end."""
    never = asyncio.Event()

    async def nothing() -> None:
        await never.wait()

    served = Served(tcp_loopback, accepting(nothing, accept=accept))
    try:
        served.channel.dataReceived(HANDSHAKE)
        yield served
    finally:
        never.set()
        served.close()


def holder() -> Any:
    """The one socket holding its 101, once there is one."""
    return server._holding and next(iter(server._holding))


async def test_an_accept_that_promises_nothing_is_answered_at_once(tcp_loopback: Any) -> None:
    """Another consumer of the project (a plain ``accept()``) may send nothing for a
    long time: its 101 is not held."""
    async with waiting_after_accept(tcp_loopback, {"type": "websocket.accept"}) as served:
        seen = await served.read_until(b"\r\n\r\n")
        assert seen.startswith(b"HTTP/1.1 101 Switching Protocols")
        assert served.transport.protocol.held is None


async def test_a_handshake_that_fails_at_the_accept_still_gets_its_answer(
        tcp_loopback: Any) -> None:
    """autobahn refuses an extension offer only when the accept answers it; what it
    writes then (a 400) is held like a 101 would be, and must go out, since no frame
    follows a failed handshake."""
    bogus = HANDSHAKE.replace(b"Connection:", b"Sec-WebSocket-Extensions: permessage-deflate;"
                              b" bogus=1\r\nConnection:")
    served = Served(tcp_loopback, accepting(answer))
    try:
        served.channel.dataReceived(bogus)
        transport = served.transport
        protocol = await served.until(lambda: transport.disconnecting and transport.protocol)
        # autobahn closed the connection after its answer: Twisted holds it for the
        # reactor to write before the close.
        written = bytes(transport.dataBuffer) + b"".join(transport._tempDataBuffer)
        assert written.startswith(b"HTTP/1.1 400") and b"101" not in written
        assert protocol.held is None and protocol not in server._holding
    finally:
        served.close()


async def test_a_101_waits_for_its_frame_at_most_the_hold_limit(tcp_loopback: Any) -> None:
    """An application that promised a frame and then waits for the client: the sweep
    sends the 101 once it has waited HOLD_LIMIT, and not before."""
    async with waiting_after_accept(tcp_loopback) as served:
        protocol = await served.until(holder)
        assert protocol.held.startswith(b"HTTP/1.1 101")
        since = server._holding[protocol]
        server.release_stale(now=since + server.HOLD_LIMIT / 2)
        assert protocol.held is not None
        server.release_stale(now=since + server.HOLD_LIMIT)
        seen = await served.read_until(b"\r\n\r\n")
        assert seen.startswith(b"HTTP/1.1 101 Switching Protocols")
        assert protocol.held is None and protocol not in server._holding
        assert server._sweep is not None and server._sweep.running


async def test_a_closed_connection_forgets_its_held_101(tcp_loopback: Any) -> None:
    async with waiting_after_accept(tcp_loopback) as served:
        protocol = await served.until(holder)
    assert protocol not in server._holding
