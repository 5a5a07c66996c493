"""``python -m realtime.server``: Daphne with the realtime layer's protocol limits.

Accepts every ``daphne`` argument, and django-admin's ``--settings``; without it
``DJANGO_SETTINGS_MODULE`` must be set. On top of plain Daphne it:
- sets the WebSocket message and frame limits from ``REALTIME["MAX_PAYLOAD"]``
  (autobahn refuses a larger frame from its header with 1009, before buffering it);
- drops a slow reader whose unsent data passes ``MAX_OUTBOUND_BUFFER``, so one
  client that stops reading cannot grow the server's memory;
- counts a client's frames as they arrive and stops reading from a flooder
  (realtime/inbound.py), so one client that sends too much cannot either;
- sends the standard close codes docs/protocol.md uses (1001, 1009), which autobahn's
  ``sendClose`` refuses to send for an application (the app's policy closes are
  4008, 4009 and 4013, which every server sends);
- on SIGTERM/SIGINT closes every socket with 1001 (clients reconnect and resume)
  and waits up to ``SHUTDOWN_GRACE`` seconds for the close frames to go out;
- puts the ``scheme`` (``ws``/``wss``, from TLS or X-Forwarded-Proto under
  ``--proxy-headers``) in a WebSocket's scope, for the origin check.
- aborts a connection whose request headers are not complete ``HANDSHAKE_TIMEOUT``
  seconds after it opened or after its previous request (slowloris;
  realtime/http_deadline.py).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import logging
import os
import sys
from typing import Any, NoReturn

from daphne import server as daphne_server
from daphne.cli import CommandLineInterface
from daphne.server import Server
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol

from .daphne_sockets import Adopted, close_websockets, write_now
from .frames import FRAME_FOLLOWS, FRAMES, WIRE
from .http_deadline import HeaderDeadlineChannel, release_upgraded
from .inbox import Inbox
from .upgrade import UpgradingHTTPFactory

logger = logging.getLogger("realtime.server")

STATE_OPEN = WebSocketProtocol.STATE_OPEN

# Close codes an endpoint may send (RFC 6455, 7.4.1) that autobahn's sendClose()
# refuses, which docs/protocol.md uses: going away, policy, too big, try again later.
STANDARD_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011, 1013})


# The longest a handshake's 101 waits for the frame its accept promised (``FRAME_FOLLOWS``):
# an application that promised and then waits for the client must not leave it without an
# answer, since autobahn's and Daphne's handshake timeouts end with the accept.
HOLD_LIMIT = 1.0
# Sockets holding their 101, with since when (the reactor's clock); swept every HOLD_LIMIT.
_holding: dict[Any, float] = {}
_sweep: Any = None


def release_stale(now: float | None = None) -> None:
    """Send the 101 of every socket that has held it HOLD_LIMIT or longer."""
    from twisted.internet import reactor

    now = reactor.seconds() if now is None else now
    for protocol, since in list(_holding.items()):
        if now - since >= HOLD_LIMIT:
            protocol.sendData(b"")


def _track(protocol: Any) -> None:
    global _sweep
    from twisted.internet import reactor, task

    _holding[protocol] = reactor.seconds()
    if _sweep is None:
        _sweep = task.LoopingCall(release_stale)
        _sweep.start(HOLD_LIMIT, now=False)


class RealtimeWebSocketProtocol(Adopted, WebSocketProtocol):
    # The handshake's 101 response, held from an accept that says a frame follows
    # (``FRAME_FOLLOWS``) until the next write, which takes it along: one send (and one
    # wake-up of the client) fewer per connection. At most HOLD_LIMIT.
    held: bytes | None = None
    holding = False

    def makeConnection(self, transport: Any) -> None:  # noqa: N802 (Twisted's)
        release_upgraded(transport)
        super().makeConnection(transport)

    def onOpen(self) -> None:  # noqa: N802 (autobahn's)
        super().onOpen()
        forget_handshake(self)

    def serverClose(self, code: int | None = None, reason: str | None = None) -> None:
        if code in STANDARD_CLOSE_CODES:
            reason_utf8 = reason.encode("utf-8")[:123] if reason else None  # RFC 6455's cap
            self.sendCloseFrame(code=code, reasonUtf8=reason_utf8, isReply=False)
        else:
            self.sendClose(code=1000 if code is None else code, reason=reason or None)

    def handle_reply(self, message: dict[str, Any]) -> None:
        wire = message.get(WIRE)
        if (wire is not None and self.state == self.STATE_OPEN
                and self._perMessageCompress is None):
            # An event frame built once for every socket: write it as is, now; only
            # what the socket did not take can pile up.
            if self.held is not None:
                wire = self.with_held(wire)
            if not write_now(self.transport, wire):
                self.check_backlog()
        elif FRAMES in message:
            # Frames sent together that cannot go as their bytes (a compressed socket's
            # are compressed one by one): each in turn.
            for frame in message[FRAMES]:
                self.handle_reply(frame)
        elif message.get(FRAME_FOLLOWS) and message.get("type") == "websocket.accept":
            self.holding = True
            try:
                super().handle_reply(message)
            finally:
                self.holding = False
            if self.held is not None:
                if self.state == self.STATE_OPEN:
                    _track(self)
                else:
                    self.sendData(b"")  # the handshake failed (autobahn's 400): nothing follows
        elif message.get("type") == "websocket.close" and self.state != self.STATE_CONNECTING:
            # Daphne drops the ASGI close's reason; the client is told why (4500's reason
            # names the credential that ended, docs/protocol.md).
            self.serverClose(message.get("code"), message.get("reason"))
        else:
            super().handle_reply(message)

    def sendData(self, data: bytes, sync: bool = False,  # noqa: N802 (autobahn's)
                 chopsize: int | None = None) -> None:
        if self.holding:
            self.held = data if self.held is None else self.held + data
            return
        if self.held is not None:
            data = self.with_held(data)
        if data:
            super().sendData(data, sync, chopsize)

    def with_held(self, data: bytes) -> bytes:
        """``data`` behind the held 101, which is no longer held."""
        held, self.held = self.held, None
        _holding.pop(self, None)
        return held + data

    def connectionLost(self, reason: Any) -> None:  # noqa: N802 (Twisted's)
        _holding.pop(self, None)
        super().connectionLost(reason)


class OpenedRequest:
    """What Daphne reads of autobahn's handshake request once a socket is open: its path,
    for the log lines of the socket's end."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


def forget_handshake(protocol: Any) -> None:
    """Drops what autobahn keeps of an open socket's handshake and never reads again: the
    raw request, its parsed headers and query, and the request object Daphne keeps for its
    path (about 2 KB per socket, docs/performance.md). The ASGI scope keeps its own
    headers for the application."""
    protocol.request = OpenedRequest(protocol.request.path)
    protocol.http_request_data = protocol.http_headers = protocol.http_request_params = None


class RealtimeWebSocketFactory(WebSocketFactory):
    """Daphne's factory, with the protocol options on the protocol class, not per socket.

    autobahn copies every option the protocol class lacks (about 30) from the factory
    into each new connection's ``__dict__``, and formats the list for a debug log line
    whether or not anything logs it: 3% of the CPU of connecting 5,000 sockets. Given
    a protocol class that already has them, it copies nothing.
    """

    protocol = RealtimeWebSocketProtocol

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._configured: type | None = None
        super().__init__(*args, **kwargs)
        # Send the close frame (1009 for an oversized frame) instead of a bare TCP drop,
        # so the client learns why.
        self.setProtocolOptions(failByDrop=False)

    def setProtocolOptions(self, *args: Any, **kwargs: Any) -> None:  # noqa: N802 (autobahn's)
        super().setProtocolOptions(*args, **kwargs)
        self._configured = None  # rebuilt with the new options on the next connection

    def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 (Twisted's)
        if self._configured is None:
            # A plain function (a callback option) must stay unbound on the class.
            options = {name: staticmethod(value) if inspect.isfunction(value) else value
                       for name in RealtimeWebSocketProtocol.CONFIG_ATTRS
                       if hasattr(self, name) for value in (getattr(self, name),)}
            self._configured = type("ConfiguredRealtimeWebSocketProtocol",
                                    (RealtimeWebSocketProtocol,), options)
        self.protocol = self._configured
        return super().buildProtocol(addr)


def websocket_scheme(protocol: Any) -> str:
    """``ws`` or ``wss``, as the client reached the server: X-Forwarded-Proto under
    ``--proxy-headers``, else whether the connection is TLS."""
    from twisted.internet.interfaces import ISSLTransport

    forwarded = getattr(protocol, "client_scheme", None)
    if isinstance(forwarded, str) and forwarded.strip().lower() in {"https", "wss"}:
        return "wss"
    if isinstance(forwarded, str) and forwarded.strip().lower() in {"http", "ws"}:
        return "ws"
    return "wss" if ISSLTransport(protocol.transport, None) is not None else "ws"


class ServerSend:
    """The ASGI ``send`` of one socket: Daphne's ``handle_reply`` for the protocol, and
    ``now``, the same without a coroutine, for the fan-out (realtime/consumers.py,
    ``deliver_now``)."""

    __slots__ = ("protocol", "server")

    def __init__(self, server: Server, protocol: Any) -> None:
        self.server = server
        self.protocol = protocol

    def __call__(self, message: dict[str, Any]) -> Any:
        return self.server.handle_reply(self.protocol, message)

    def now(self, message: dict[str, Any]) -> None:
        """A frame written at once, as Daphne's ``handle_reply`` would, to an open socket
        only. Daphne marks a connection gone in ``onClose``, after autobahn has left
        ``STATE_OPEN``: the state says the same as Daphne's table of connections without
        looking the protocol up in it, whose ``__hash__`` is Python's (7% of the CPU of
        an unbatched fan-out, docs/performance.md)."""
        protocol = self.protocol
        if protocol.state == STATE_OPEN:
            protocol.handle_reply(message)


class RealtimeServer(Server):
    def create_application(self, protocol: Any, scope: dict[str, Any]) -> Any:
        """Daphne's, with the ``scheme`` Daphne leaves out of a WebSocket scope (its HTTP
        scope has it: the origin check compares a page's origin with the handshake's
        own, realtime.auth.own_origin), and an ``Inbox`` instead of its queue."""
        if scope.get("type") == "websocket" and "scheme" not in scope:
            scope["scheme"] = websocket_scheme(protocol)
        assert "application_instance" not in self.connections[protocol]
        inbox = Inbox()
        scope.setdefault("asgi", {"version": "3.0"})
        application = self.application(scope=scope, receive=inbox.get,
                                       send=ServerSend(self, protocol))
        if protocol not in self.connections:
            return None
        self.connections[protocol]["application_instance"] = asyncio.ensure_future(
            application, loop=asyncio.get_event_loop())
        return inbox

    def run(self) -> None:
        from twisted.internet import reactor

        from .conf import setting

        self.endpoints = [with_backlog(endpoint, setting("LISTEN_BACKLOG"))
                          for endpoint in self.endpoints]
        reactor.addSystemEventTrigger("before", "shutdown", self.close_websockets)
        super().run()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.listening_ports: list[Any] = []

    def listen_success(self, port: Any) -> None:
        self.listening_ports.append(port)
        super().listen_success(port)

    def close_websockets(self) -> Any:
        """Stop accepting, then close every socket with 1001.

        A client told "going away" reconnects at once; while this process still
        listened, those reconnects were accepted by the process shutting down (in a
        storm of 10,000 the exit took 23 s instead of 2.5). Refused, they go to
        another process, or back off until this one is restarted.
        """
        for port in self.listening_ports:
            port.stopListening()
        return close_websockets([p for p in list(getattr(self, "connections", {}))
                                 if isinstance(p, WebSocketProtocol)])


def with_backlog(endpoint: str, backlog: int) -> str:
    """A TCP endpoint string with a listen backlog, unless it names one.

    Twisted listens with a backlog of 50. When every dashboard reconnects at once
    the kernel drops the connections past it, and each client waits for TCP to
    resend its SYN (1 s, then 3 s, 7 s...) or times out: in a storm of 10,000
    sockets, the last ones came back after 30 s (docs/performance.md). The kernel
    caps the value at ``net.core.somaxconn``.
    """
    kind, _, _ = endpoint.partition(":")
    if kind not in ("tcp", "tcp6", "ssl") or ":backlog=" in endpoint:
        return endpoint
    return f"{endpoint}:backlog={int(backlog)}"


class RealtimeCommandLine(CommandLineInterface):
    server_class = RealtimeServer


# Seconds between Daphne's protocol-level pings: a day, i.e. left to the app's heartbeat.
DAPHNE_PING_INTERVAL = 86_400


NO_SETTINGS = ("realtime.server: no settings: set DJANGO_SETTINGS_MODULE or pass --settings, "
               "e.g. python -m realtime.server --settings mysite.settings "
               "mysite.asgi:application")


def take_settings(args: list[str]) -> tuple[str | None, list[str]]:
    """``--settings MODULE`` (or ``--settings=MODULE``) and the arguments without it.

    django-admin's option, taken out here because Daphne's command line rejects it.
    A ``--settings`` without a module exits with status 2, like a missing one.
    """
    module, rest = None, []
    remaining = iter(args)
    for arg in remaining:
        if arg == "--settings":
            module = next(remaining, None)
            if not module or module.startswith("-"):
                exit_usage("realtime.server: --settings needs a settings module, "
                           "e.g. --settings mysite.settings")
        elif arg.startswith("--settings="):
            module = arg.partition("=")[2] or None
            if module is None:
                exit_usage("realtime.server: --settings needs a settings module, "
                           "e.g. --settings=mysite.settings")
        else:
            rest.append(arg)
    return module, rest


def exit_usage(message: str) -> NoReturn:
    """One line on stderr and status 2, as argparse does for a usage error: no traceback."""
    print(message, file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> None:
    """Run Daphne with the realtime protocol; the settings come from ``--settings`` or
    ``DJANGO_SETTINGS_MODULE`` (no default: a host's server must not load the demo's)."""
    import django

    module, args = take_settings(list(sys.argv[1:] if argv is None else argv))
    if module:
        os.environ["DJANGO_SETTINGS_MODULE"] = module
    elif not os.environ.get("DJANGO_SETTINGS_MODULE"):
        exit_usage(NO_SETTINGS)
    django.setup()
    from . import process
    from .conf import setting

    process.server_bounds_sends = True
    RealtimeWebSocketProtocol.max_outbound = setting("MAX_OUTBOUND_BUFFER")
    HeaderDeadlineChannel.deadline = setting("HANDSHAKE_TIMEOUT")
    limit = str(setting("MAX_PAYLOAD"))
    defaults = {
        "--websocket-max-message-size": limit,
        "--websocket-max-frame-size": limit,
        # The app's heartbeat (PING_INTERVAL, PONG_TIMEOUT) already pings every socket
        # and closes silent ones with 4000; Daphne's own protocol ping (every 20 s by
        # default) would be a second timer and a second frame per socket for nothing.
        "--ping-interval": str(DAPHNE_PING_INTERVAL),
    }
    for flag, value in defaults.items():
        if not any(a.startswith(flag) for a in args):
            args = [flag, value, *args]
    daphne_server.WebSocketFactory = RealtimeWebSocketFactory
    daphne_server.HTTPFactory = UpgradingHTTPFactory
    tune_gc(args)
    RealtimeCommandLine().run(args)


def tune_gc(args: list[str]) -> None:
    """Keep the cyclic GC off the long-lived start-up objects and the per-socket ones.

    Everything imported at start-up (Django, the app, Twisted) is moved out of the
    collector's sight with ``gc.freeze()``; with thousands of sockets, each holding a
    few dozen container objects, the default threshold (700 allocations) would walk
    them all many times a second. ``REALTIME["GC_THRESHOLD"]`` sets generation 0's.
    """
    from .conf import setting

    application = next((a for a in args if ":" in a and not a.startswith("-")), None)
    if application:
        importlib.import_module(application.split(":", 1)[0])
    gc.collect()
    gc.freeze()
    threshold = setting("GC_THRESHOLD")
    if threshold:
        _, second, third = gc.get_threshold()
        gc.set_threshold(threshold, second, third)


if __name__ == "__main__":
    main()
