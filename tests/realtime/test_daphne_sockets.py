"""realtime/daphne_sockets.py: which sends it recognises and what it changes on them.
The behaviour under a real stock Daphne is tests/e2e/test_servers.py's."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest
from daphne.ws_protocol import WebSocketProtocol

from realtime import daphne_sockets


async def handle_reply(protocol, message):  # the shape of daphne.server.Server.handle_reply
    return None


def test_a_stock_daphne_send_gives_its_protocol() -> None:
    protocol = WebSocketProtocol()
    assert daphne_sockets.protocol_of(functools.partial(handle_reply, protocol)) is protocol


def test_other_sends_are_left_alone() -> None:
    async def send(message):
        return None

    assert daphne_sockets.protocol_of(send) is None
    assert daphne_sockets.protocol_of(functools.partial(handle_reply, object())) is None
    assert daphne_sockets.protocol_of(functools.partial(handle_reply)) is None
    assert daphne_sockets.adopt(send) is None


def test_adopting_turns_off_the_bare_drop(monkeypatch) -> None:
    monkeypatch.setattr(daphne_sockets, "hook_shutdown", lambda: None)
    protocol = WebSocketProtocol()
    protocol.failByDrop = True
    assert daphne_sockets.adopt(functools.partial(handle_reply, protocol)) is protocol
    assert protocol.failByDrop is False
    assert isinstance(protocol, daphne_sockets.Adopted) and isinstance(protocol, WebSocketProtocol)
    other = WebSocketProtocol()
    daphne_sockets.adopt(functools.partial(handle_reply, other))
    assert type(other) is type(protocol), "one subclass per protocol class, made once"


def test_pending_bytes_counts_what_twisted_has_not_written() -> None:
    transport = SimpleNamespace(dataBuffer=b"x" * 100, offset=30, _tempDataLen=50)
    assert daphne_sockets.pending_bytes(transport) == 120
    assert daphne_sockets.backlog(SimpleNamespace(transport=None)) == 0


def test_autobahns_per_connection_config_log_is_formatted_only_when_written() -> None:
    from pprint import pformat

    from autobahn.websocket import protocol

    class Counted:
        reprs = 0

        def __repr__(self) -> str:
            Counted.reprs += 1
            return "counted"

    value = [("openHandshakeTimeout", Counted(), "Factory")]
    deferred = protocol.pformat(value)
    assert Counted.reprs == 0
    assert f"\n{deferred}" == "\n" + pformat(value) and Counted.reprs == 2


class FrameRecorder:
    """What autobahn's own ``sendData`` path was handed (queued or octet-logged writes)."""

    def __init__(self) -> None:
        self.autobahn: list[bytes] = []

    def sendData(self, data, sync=False, chopsize=None) -> None:  # noqa: N802 (autobahn's)
        self.autobahn.append(data)


class Writer(daphne_sockets.Adopted, FrameRecorder):
    def __init__(self, transport) -> None:
        super().__init__()
        self.transport = transport
        self.send_queue: list = []
        self.logOctets = False


def test_a_frame_reaches_the_peer_in_the_same_call_when_nothing_waits_before_it(
        tcp_pair) -> None:
    """No later turn of the loop: the bytes are on the peer's side of the socket before
    ``sendData`` returns, and Twisted holds nothing for the connection."""
    transport, peer = tcp_pair
    writer = Writer(transport)
    writer.sendData(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
    writer.sendData(b"\x81\x02hi")
    assert peer.recv(1024) == b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x02hi"
    assert daphne_sockets.pending_bytes(transport) == 0
    assert writer.autobahn == []


def test_a_frame_goes_after_what_twisted_already_holds(tcp_pair) -> None:
    transport, peer = tcp_pair
    transport.write(b"first")  # buffered by Twisted, for a later turn
    writer = Writer(transport)
    writer.sendData(b"second")
    assert daphne_sockets.pending_bytes(transport) == len(b"firstsecond")
    transport.doWrite()  # the later turn
    assert peer.recv(1024) == b"firstsecond"


def test_what_autobahn_queues_or_logs_stays_on_its_own_path(tcp_pair) -> None:
    transport, _peer = tcp_pair
    writer = Writer(transport)
    writer.sendData(b"sync", sync=True)
    writer.sendData(b"chopped", chopsize=2)
    writer.send_queue.append((b"queued", False))
    writer.sendData(b"behind the queue")
    writer.send_queue.clear()
    writer.logOctets = True
    writer.sendData(b"logged")
    assert writer.autobahn == [b"sync", b"chopped", b"behind the queue", b"logged"]
    assert daphne_sockets.pending_bytes(transport) == 0


def test_nothing_is_written_once_the_connection_is_aborted(tcp_pair) -> None:
    """Twisted's abort drops what is buffered and lets the socket go on the next turn;
    until then nothing may reach the peer past it."""
    transport, peer = tcp_pair
    transport.abortConnection()
    Writer(transport).sendData(b"after the abort")
    with pytest.raises(BlockingIOError):
        peer.recv(1024)
