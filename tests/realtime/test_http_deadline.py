"""realtime.http_deadline: a request's headers have HANDSHAKE_TIMEOUT seconds to arrive.

Driven with Twisted's test transport and a fake clock: nothing here waits for real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet.task import Clock
from twisted.internet.testing import StringTransport
from twisted.web import http

from realtime import stats
from realtime.http_deadline import HeaderDeadlineChannel, RealtimeHTTPFactory


class Answered(http.Request):
    """Answers every request at once, so the channel goes back to waiting for the next."""

    def process(self) -> None:
        self.setResponseCode(204)
        self.finish()


@pytest.fixture
def deadline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(HeaderDeadlineChannel, "deadline", 5.0)
    monkeypatch.setattr(stats, "ensure_publishing", lambda: None)
    yield


def open_channel(clock: Clock) -> tuple[HeaderDeadlineChannel, StringTransport]:
    channel = HeaderDeadlineChannel()
    channel.requestFactory = Answered
    channel.callLater = clock.callLater
    transport = StringTransport()
    channel.makeConnection(transport)
    return channel, transport


def dropped() -> int:
    return stats.counters["dropped.handshake_timeout"]


def test_headers_trickled_one_line_a_second_are_aborted_at_the_deadline(deadline: None
                                                                        ) -> None:
    clock = Clock()
    channel, transport = open_channel(clock)
    before = dropped()
    channel.dataReceived(b"GET / HTTP/1.1\r\n")
    for n in range(4):  # every byte restarts Twisted's idle timeout, not this deadline
        clock.advance(1)
        channel.dataReceived(b"X-Slow-%d: 1\r\n" % n)
    clock.advance(0.99)
    assert not transport.disconnecting
    clock.advance(0.01)
    assert transport.disconnected, "aborted, not closed after a last write"
    assert dropped() == before + 1


def test_a_connection_that_sends_nothing_is_aborted_too(deadline: None) -> None:
    clock = Clock()
    _, transport = open_channel(clock)
    before = dropped()
    clock.advance(5)
    assert transport.disconnected
    assert dropped() == before + 1


def test_headers_in_time_are_served_and_the_request_is_not_timed(deadline: None) -> None:
    """The deadline stops at the end of the headers: a body, the application's answer and
    a WebSocket upgraded from the request are not timed here."""
    clock = Clock()
    channel, transport = open_channel(clock)
    channel.dataReceived(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
    clock.advance(60)
    assert not transport.disconnecting
    channel.dataReceived(b"body")
    assert transport.value().startswith(b"HTTP/1.1 204")


def test_a_keep_alive_connection_has_the_same_time_for_its_next_request(deadline: None
                                                                        ) -> None:
    clock = Clock()
    channel, transport = open_channel(clock)
    clock.advance(4)
    channel.dataReceived(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n")  # answered at once
    clock.advance(4)  # 8 s after the opening, 4 s after the request
    assert not transport.disconnecting
    before = dropped()
    channel.dataReceived(b"GET /b HTTP/1.1\r\n")
    clock.advance(1)
    assert transport.disconnected
    assert dropped() == before + 1


def test_an_idle_keep_alive_connection_is_closed_quietly(deadline: None) -> None:
    """Nothing of a next request: a proxy's keep-alive timeout, not an attack."""
    clock = Clock()
    channel, transport = open_channel(clock)
    channel.dataReceived(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    before = dropped()
    clock.advance(5)
    assert transport.disconnecting and not transport.disconnected
    assert dropped() == before


def test_pipelined_requests_are_each_served(deadline: None) -> None:
    clock = Clock()
    channel, transport = open_channel(clock)
    channel.dataReceived(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert transport.value().count(b"HTTP/1.1 204") == 2
    clock.advance(4.9)
    assert not transport.disconnecting


def test_no_deadline_when_the_setting_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HeaderDeadlineChannel, "deadline", None)
    clock = Clock()
    channel, transport = open_channel(clock)
    channel.dataReceived(b"GET / HTTP/1.1\r\n")
    clock.advance(3600)
    assert not transport.disconnecting
    assert clock.getDelayedCalls() == []


def test_a_closed_connection_leaves_no_timer(deadline: None) -> None:
    clock = Clock()
    channel, _ = open_channel(clock)
    channel.dataReceived(b"GET / HTTP/1.1\r\n")
    channel.connectionLost(None)
    assert channel._deadline_call is None
    clock.advance(10)


def test_the_factory_builds_the_channel_with_the_deadline() -> None:
    """Through Twisted's HTTP/1.1-or-2 wrapper (a private class: this fails if it goes)."""
    server: Any = object()
    protocol = RealtimeHTTPFactory(server).buildProtocol(None)
    assert isinstance(protocol._channel, HeaderDeadlineChannel)
