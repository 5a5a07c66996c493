"""realtime.server's WebSocket upgrade: a handshake read once, by autobahn, as it arrived.

Daphne's upgrade goes through Twisted's HTTP request first: Twisted parses the request
line and every header into a request object, Daphne validates them, writes the request
out again as bytes and hands those to autobahn, which parses the same handshake a second
time. In a connect storm that first pass and the request object it builds were a fifth
of the server's main thread (docs/performance.md). Here the first bytes of a plain TCP
connection that are, whole, a well-formed WebSocket upgrade go straight to the WebSocket
protocol, with Daphne's checks made on the way. Anything else (a handshake in several
reads, a body, a header Daphne would refuse, TLS, a keep-alive connection's later
request) takes Daphne's path unchanged, which answers it as before.
"""

from __future__ import annotations

import re
from typing import Any

from daphne.utils import HEADER_NAME_RE
from twisted.internet import tcp
from twisted.web import http

from .http_deadline import HeaderDeadlineChannel, RealtimeHTTPFactory

END = b"\r\n\r\n"
# Larger handshakes take Daphne's path (Twisted's own limits apply there).
MAX_HANDSHAKE = 8192
# An upgrade request has no body; one that announces one takes Daphne's path.
BODY_HEADERS = frozenset({b"content-length", b"transfer-encoding"})
# Header values of printable ASCII and tabs only. Twisted refuses NUL, CR and LF in a
# value, Daphne a few more bytes, and autobahn's parser is not what refuses them here:
# anything else, non-ASCII included, takes their path.
PLAIN_VALUE = re.compile(rb"[\t\x20-\x7e]*")
# A request target of visible ASCII only, as Twisted's request line wants.
PLAIN_TARGET = re.compile(rb"[\x21-\x7e]+")


def upgrade_query(data: bytes) -> bytes | None:
    """The raw query string of ``data`` when it is one whole WebSocket upgrade request
    that Daphne would hand to autobahn as it is; None for anything else.

    Daphne's conditions: header names are tokens, the path and the query are ASCII,
    the first ``Upgrade`` header says ``websocket``. Stricter here, so that the bytes
    autobahn reads are the ones Daphne would have written after Twisted's parse:
    exactly ``GET <target> HTTP/1.1``, a target and header values of plain ASCII, no
    header twice (Twisted joins repeats into one line, which autobahn would otherwise
    refuse), no more headers than Twisted takes, nothing after the blank line, no body.
    """
    if (len(data) > MAX_HANDSHAKE or not data.startswith(b"GET ")
            or data.find(END) != len(data) - len(END)):
        return None
    lines = data[:-len(END)].split(b"\r\n")
    request = lines[0].split(b" ")
    if (len(request) != 3 or request[2] != b"HTTP/1.1" or not PLAIN_TARGET.fullmatch(request[1])
            or len(lines) - 1 > http.HTTPChannel.maxHeaders):
        return None
    names: set[bytes] = set()
    upgrade: bytes | None = None
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not HEADER_NAME_RE.fullmatch(name) or not PLAIN_VALUE.fullmatch(value):
            return None
        lowered = name.lower()
        if lowered in names or lowered in BODY_HEADERS:
            return None
        names.add(lowered)
        if lowered == b"upgrade":
            upgrade = value.strip(b" \t")
    if upgrade is None or upgrade.lower() != b"websocket":
        return None
    return request[1].partition(b"?")[2]


def hand_over(channel: Any, data: bytes) -> bool:
    """Give the connection to a new WebSocket protocol, which reads ``data`` as its
    handshake, as Daphne's ``WebRequest.process`` does after its own parse; whether it
    did. The HTTP channel's timers stop, and ``makeConnection`` lets it go
    (realtime.http_deadline.release_upgraded)."""
    query = upgrade_query(data)
    if query is None:
        return False
    transport = channel.transport
    protocol = channel.factory.server.ws_factory.buildProtocol(transport.getPeer())
    if protocol is None:
        return False
    channel.stop_timers()
    protocol._raw_query_string = query
    transport.protocol = protocol
    protocol.makeConnection(transport)
    protocol.dataReceived(data)
    return True


class UpgradingChannel(HeaderDeadlineChannel):
    """The HTTP channel of realtime.server: a connection whose first read is a whole
    WebSocket upgrade is handed over at once; any other goes on as Daphne's."""

    _first_read = True

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 (Twisted's)
        if self._first_read:
            self._first_read = False
            # Plain TCP only: a TLS connection's transport wraps this channel.
            if type(self.transport) is tcp.Server and hand_over(self, data):
                return
        super().dataReceived(data)


class UpgradingHTTPFactory(RealtimeHTTPFactory):
    """realtime.server's HTTP factory: the header deadline, and upgrades read once."""

    channel = UpgradingChannel
