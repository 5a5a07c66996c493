"""realtime/daphne_sockets.py: which sends it recognises and what it changes on them.
The behaviour under a real stock Daphne is tests/e2e/test_servers.py's."""

from __future__ import annotations

import functools
from types import SimpleNamespace

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
