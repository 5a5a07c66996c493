"""The HTTP side of ``python -m realtime.server``: a deadline for a request's headers.

Daphne's HTTP protocol is Twisted's ``HTTPChannel``, whose only timeout is an idle one
(12 hours, restarted by every byte received): a client that sends one header line now
and then (slowloris) holds its connection, a file descriptor and a request object for
as long as it likes, and a few thousand such clients exhaust the process's descriptors
without ever sending a complete request. Here a request's headers must be complete within
``HANDSHAKE_TIMEOUT`` seconds of the connection opening, and on a keep-alive connection
within as long after the previous request ended, or the connection is aborted (counted
as ``dropped.handshake_timeout``). A keep-alive connection that sends nothing more is
closed quietly at the same deadline, as a proxy's keep-alive timeout would: it did
nothing wrong.

The deadline is disarmed once the headers are in (``allHeadersReceived``): a request's
body and the application's answer are not timed here, and a WebSocket upgrade leaves
this channel for good, so an open socket is never touched. HTTP/2 (TLS with ALPN and the
``h2`` package) is served by another Twisted class, which this does not time.

Stock ``daphne``, ``runserver`` and uvicorn give the application no hold on this, since
the headers are read before any application is called: there a proxy's
``client_header_timeout`` does the job (docs/security.md).
"""

from __future__ import annotations

import logging
from typing import Any

from daphne.http_protocol import HTTPFactory
from twisted.web import http

logger = logging.getLogger("realtime.server")


class HeaderDeadlineChannel(http.HTTPChannel):
    """Twisted's HTTP/1.1 channel, with a deadline on each request's headers."""

    # Seconds; None: no deadline. Set from HANDSHAKE_TIMEOUT by realtime.server.
    deadline: float | None = 5.0

    _deadline_call: Any = None
    # Armed at the end of a request (keep-alive), not at the connection's opening.
    _between_requests = False
    # A byte of the awaited request arrived.
    _request_started = False

    def connectionMade(self) -> None:  # noqa: N802 (Twisted's)
        super().connectionMade()
        self._arm(between_requests=False)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 (Twisted's)
        if data and self._deadline_call is not None:
            self._request_started = True
        super().dataReceived(data)

    def allHeadersReceived(self) -> None:  # noqa: N802 (Twisted's)
        self._disarm()
        super().allHeadersReceived()

    def requestDone(self, request: Any) -> None:  # noqa: N802 (Twisted's)
        # Armed before Twisted replays what the client pipelined meanwhile: a complete
        # request among it disarms the deadline again, as one arriving later would.
        if self.persistent:
            self._arm(between_requests=True)
        super().requestDone(request)

    def connectionLost(self, reason: Any) -> None:  # noqa: N802 (Twisted's)
        self._disarm()
        super().connectionLost(reason)

    def stop_timers(self) -> None:
        """The connection leaves this channel (a WebSocket upgrade): neither the deadline
        nor Twisted's idle timeout may touch it any more."""
        self._disarm()
        self.setTimeout(None)

    def _arm(self, *, between_requests: bool) -> None:
        self._disarm()
        if self.deadline is None:
            return
        self._between_requests = between_requests
        self._request_started = False
        self._deadline_call = self.callLater(self.deadline, self._deadline_passed)

    def _disarm(self) -> None:
        call, self._deadline_call = self._deadline_call, None
        if call is not None and call.active():
            call.cancel()

    def _deadline_passed(self) -> None:
        self._deadline_call = None
        transport = self.transport
        if transport is None or getattr(transport, "negotiatedProtocol", None) == b"h2":
            return
        if self._between_requests and not self._request_started:
            transport.loseConnection()
            return
        from . import stats

        stats.incr("dropped.handshake_timeout")
        # Drops show in the cluster's figures even if the process never served a socket.
        stats.ensure_publishing()
        peer = transport.getPeer()
        logger.warning("handshake timeout: headers incomplete after %ss client=%s:%s",
                       self.deadline, getattr(peer, "host", "?"), getattr(peer, "port", "?"))
        # Not a 408: a client that trickles its headers is not waiting for an answer,
        # and an abort frees the descriptor now rather than after a last write.
        transport.abortConnection()


def release_upgraded(transport: Any) -> None:
    """Lets the HTTP channel a WebSocket upgraded from go, with its request.

    Daphne hands the transport to the WebSocket protocol but leaves Twisted's channel
    registered as the transport's producer, and the channel keeps Daphne's request (its
    headers twice over, its body buffer, two addresses) in its list of requests that
    never finish: about 2 KB per open socket for nothing (docs/performance.md). The
    channel's one use as producer is to stop reading from a client whose unsent frames
    pile up; realtime.server drops such a reader instead (``MAX_OUTBOUND_BUFFER``).
    Called as the WebSocket protocol takes the transport, before Daphne resumes reading.
    """
    channel = getattr(transport, "producer", None)
    if isinstance(channel, http.HTTPChannel):
        transport.unregisterProducer()
        # The request still holds the channel until Daphne's upgrade returns; with the
        # list emptied, neither is left in a reference cycle for the collector.
        channel.requests.clear()


def _channel_with_deadline(factory: Any) -> Any:
    """What ``HTTPFactory.protocol`` makes: Twisted's wrapper that can switch to HTTP/2
    after ALPN, around the HTTP/1.1 channel; here the channel with the deadline."""
    return http._GenericHTTPChannelProtocol(factory.channel())


class RealtimeHTTPFactory(HTTPFactory):
    """Daphne's HTTP factory, whose connections have a deadline on each request's headers."""

    # The HTTP/1.1 channel of each connection (realtime.upgrade's in realtime.server).
    channel: type[HeaderDeadlineChannel] = HeaderDeadlineChannel
    protocol = _channel_with_deadline
