"""realtime.inbound: the arrival budget a Daphne protocol checks before queueing a frame.
The behaviour against real flooders is tests/e2e/test_flood.py's."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from realtime import inbound


class Transport:
    def __init__(self) -> None:
        self.paused = False

    def pauseProducing(self) -> None:  # noqa: N802 (Twisted's)
        self.paused = True


def protocol() -> Any:
    closes: list[tuple[int, str]] = []
    return SimpleNamespace(
        transport=Transport(), application_queue=asyncio.Queue(),
        client_addr=["127.0.0.1", 1], state="open", STATE_OPEN="open", closes=closes,
        closeHandshakeTimeout=1,
        sendClose=lambda code, reason: closes.append((code, reason)))


def test_a_client_within_twice_the_rate_limits_allowance_is_never_stopped(
        realtime_settings: Any) -> None:
    realtime_settings(RATE_LIMIT=10, RATE_LIMIT_BURST=10, RATE_LIMIT_CLOSE_AFTER=10,
                      INBOUND_QUEUE=1000)
    p = protocol()
    assert all(inbound.arrived(p) for _ in range(40))  # 2 x (burst + strikes)
    assert not inbound.arrived(p)
    assert p.realtime_stopped and p.transport.paused and p.closes == [(4008, "rate limit exceeded")]
    assert not inbound.arrived(p), "a stopped socket passes nothing on"
    assert not hasattr(p, "muted"), "Daphne's muted would keep the disconnect from the app"
    assert p.closes == [(4008, "rate limit exceeded")], "closed once"


def test_a_full_queue_stops_reading_whatever_the_rate(realtime_settings: Any) -> None:
    realtime_settings(INBOUND_QUEUE=3)
    p = protocol()
    for _ in range(3):
        assert inbound.arrived(p)
        p.application_queue.put_nowait({})
    assert not inbound.arrived(p)
    assert p.transport.paused and p.closes[0][0] == 4008
    assert p.closeHandshakeTimeout == inbound.CLOSE_WAIT
