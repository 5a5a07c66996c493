"""realtime.server: the Daphne arguments it adds unless the command line sets them."""

from __future__ import annotations

from typing import Any

import pytest
from autobahn.websocket.protocol import WebSocketProtocol as AutobahnProtocol

from realtime import server


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
