"""What the app adds to a socket that stock Daphne serves (``daphne``, ``runserver``).

Stock Daphne exposes no limits to an application, but it does hand each one a ``send``
that is ``functools.partial(Server.handle_reply, protocol)``: through that protocol
(autobahn's, on Twisted) the app gives a socket the guarantees
``python -m realtime.server`` builds in (docs/operations.md, "Which server"):

- a message over Daphne's own ``--websocket-max-message-size`` is refused with a 1009
  close frame, not autobahn's default bare TCP drop (``failByDrop``);
- a reader whose unsent bytes pass ``MAX_OUTBOUND_BUFFER`` is dropped after a send,
  since Daphne's send never waits and the frames would otherwise pile up in Twisted's
  memory;
- a client's frames are counted as they arrive, and a flooder is no longer read
  (realtime/inbound.py);
- on SIGTERM every socket gets 1001 (which autobahn refuses from an application's
  ``websocket.close``) and the shutdown waits up to ``SHUTDOWN_GRACE`` for the frames.
- every write (the app's frames, the fan-out's, the close) goes to the socket at once
  when Twisted holds nothing before it, not on a later turn of the loop (``write_now``).

Anything else (uvicorn, a protocol this module does not know) is left alone.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from pprint import pformat
from typing import Any

from . import inbound, stats
from .conf import setting
from .protocol import CloseCode

try:
    from twisted.internet.tcp import Server as TCPServer
except ImportError:  # no Daphne here: nothing to adopt
    TCPServer = None

logger = logging.getLogger("realtime.server")


class Formatted:
    """``pprint.pformat(value)``, done when (if ever) it is written as text."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return pformat(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def defer_autobahn_config_log() -> None:
    """autobahn formats each new connection's forty-odd options with ``pprint`` for a
    debug line that is almost never written: 6% of the main thread's CPU in a connect
    storm of 5,000 (docs/performance.md). Formatted when written instead, the line is
    still there for whoever turns autobahn's debug log on."""
    try:
        from autobahn.websocket import protocol
    except ImportError:
        return
    protocol.pformat = Formatted  # type: ignore[attr-defined]


defer_autobahn_config_log()

_open: weakref.WeakSet = weakref.WeakSet()
_shutdown_hooked = False


def protocol_of(send: Any) -> Any | None:
    """The Twisted WebSocket protocol behind a stock Daphne ``send``, else None."""
    if not isinstance(send, functools.partial) or not send.args:
        return None
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None
    protocol = send.args[0]
    return protocol if isinstance(protocol, WebSocketProtocol) else None


def adopt(send: Any) -> Any | None:
    """Give the socket behind ``send`` the guarantees above; its protocol, or None when
    Daphne does not serve it."""
    protocol = protocol_of(send)
    if protocol is None:
        return None
    # autobahn reads the option from the protocol at the moment it fails a connection.
    protocol.failByDrop = False
    protocol.max_outbound = setting("MAX_OUTBOUND_BUFFER")
    protocol.__class__ = adopted_class(type(protocol))
    _open.add(protocol)
    hook_shutdown()
    return protocol


class Adopted:
    """What a Daphne WebSocket protocol gets on top (realtime.server's class inherits it;
    a stock Daphne protocol's class is swapped for a subclass with it at adoption):
    inbound frames counted as they arrive, nothing sent after the close, and a reader
    that lets more than ``max_outbound`` bytes pile up dropped."""

    max_outbound = 4 * 1024 * 1024

    def onMessage(self, payload: bytes, isBinary: bool) -> None:  # noqa: N802,N803 (autobahn's)
        if inbound.arrived(self):
            super().onMessage(payload, isBinary)  # type: ignore[misc]

    def onPing(self, payload: bytes) -> None:  # noqa: N802 (autobahn's)
        if inbound.arrived(self):
            super().onPing(payload)  # type: ignore[misc]
            self.check_backlog()

    def serverSend(self, content: Any, binary: bool = False) -> None:  # noqa: N802 (Daphne's)
        if sendable(self):
            super().serverSend(content, binary)  # type: ignore[misc]
            self.check_backlog()

    def sendData(self, data: bytes, sync: bool = False,  # noqa: N802 (autobahn's)
                 chopsize: int | None = None) -> None:
        """Every write autobahn makes, the handshake's 101, pings, the close and (under
        stock Daphne) the app's frames, sent at once when Twisted holds nothing before
        it (``write_now``); realtime.server writes the app's frames that way already
        (their wire bytes, ``handle_reply``). Each write would otherwise wait for a
        later turn of the loop between two ``epoll_ctl`` calls: 9% of the CPU of
        connecting 5,000 sockets (docs/performance.md). autobahn's own path
        stays for what it queues (``sync``, ``chopsize``, a queue already waiting) and
        for its octet log; its per-write debug line and traffic counters, which
        nothing here reads, are skipped."""
        if sync or chopsize or self.send_queue or self.logOctets:  # type: ignore[attr-defined]
            super().sendData(data, sync, chopsize)  # type: ignore[misc]
        else:
            write_now(self.transport, data)  # type: ignore[attr-defined]

    def check_backlog(self) -> None:
        """Abort the connection of a reader more than ``max_outbound`` behind: it would not
        read a close frame either, and what it holds in memory goes now."""
        if backlog(self) > self.max_outbound:
            stats.incr("dropped.slow_reader")
            logger.warning("slow reader dropped client=%s pending=%s",
                           self.client_addr, backlog(self))  # type: ignore[attr-defined]
            self.dropConnection(abort=True)  # type: ignore[attr-defined]


_adopted: dict[type, type] = {}


def adopted_class(cls: type) -> type:
    """``cls`` with ``Adopted`` in front, made once per class: a class swap instead of
    per-instance closures, which would tie each protocol into a reference cycle."""
    if issubclass(cls, Adopted):
        return cls
    if cls not in _adopted:
        _adopted[cls] = type(f"Adopted{cls.__name__}", (Adopted, cls), {})
    return _adopted[cls]


def write_now(transport: Any, data: bytes) -> bool:
    """``transport.write(data)``, sent at once when nothing waits before it; whether it
    was (then nothing is buffered for the connection).

    Twisted buffers every write and sends it on a later turn of the loop, after
    registering the socket for writability and before unregistering it: two
    ``epoll_ctl`` calls and a callback per socket per frame, most of a fan-out's
    cost per socket (docs/performance.md). On a plain TCP connection with nothing
    buffered, the socket takes the frame now; what it does not take is handed to
    Twisted, in order, and so is everything on a TLS or closing connection.
    """
    if (type(transport) is TCPServer and not transport.TLS and transport.connected
            and not transport.disconnecting and not transport._writeDisconnected
            and not transport._aborting
            and not transport._tempDataLen
            and len(transport.dataBuffer) == transport.offset):
        try:
            sent = transport.socket.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            sent = 0  # Twisted's own write finds the error and closes the connection
        if sent == len(data):
            return True
        data = data[sent:]
    transport.write(data)
    return False


def sendable(protocol: Any) -> bool:
    """Whether a frame can still go out. Once the close has been sent (the app's, or a
    flooder's 4008) autobahn raises on a send, and Daphne reports it as the application's
    crash; frames the app answers meanwhile (the flood it had queued) are dropped."""
    return protocol.state != protocol.STATE_CLOSING and protocol.state != protocol.STATE_CLOSED


def pending_bytes(transport: Any) -> int:
    """Bytes Twisted holds for this connection that the peer has not taken yet."""
    buffered = len(getattr(transport, "dataBuffer", b"")) - getattr(transport, "offset", 0)
    return buffered + getattr(transport, "_tempDataLen", 0)


def backlog(protocol: Any) -> int:
    transport = protocol.transport
    return 0 if transport is None else pending_bytes(transport)


def hook_shutdown() -> None:
    """Once per process: close the open sockets when Twisted's reactor shuts down."""
    global _shutdown_hooked
    if _shutdown_hooked:
        return
    from twisted.internet import reactor

    reactor.addSystemEventTrigger("before", "shutdown", lambda: close_websockets(list(_open)))
    _shutdown_hooked = True


def close_websockets(protocols: list[Any]) -> Any:
    """1001 to every open socket, then wait (bounded) for them to finish closing.

    Daphne cancels the applications during this same phase, before their own cleanup
    runs — also those of sockets that closed just before and whose disconnect is still
    queued: this process's sockets leave the shared per-IP and presence sets here, so a
    restart does not find them counted.
    """
    from twisted.internet import defer, reactor, task

    from .conf import setting

    sockets = [p for p in protocols if p.state == p.STATE_OPEN]
    for protocol in sockets:
        protocol.sendCloseFrame(code=CloseCode.GOING_AWAY, reasonUtf8=b"server shutting down")
    forgotten = defer.Deferred.fromFuture(asyncio.ensure_future(forget_shared()))
    if not sockets:
        return forgotten
    logger.info("shutdown: closing %s sockets with 1001", len(sockets))
    deadline = reactor.seconds() + setting("SHUTDOWN_GRACE")
    done = defer.Deferred()

    def check() -> None:
        if all(p.state == p.STATE_CLOSED for p in sockets) or reactor.seconds() > deadline:
            loop.stop()
            done.callback(None)

    loop = task.LoopingCall(check)
    loop.start(0.05)
    return defer.gatherResults([done, forgotten], consumeErrors=True)


async def forget_shared() -> None:
    from .shared import customer_sockets, ip_sockets

    for shared in (ip_sockets, customer_sockets):
        await shared.forget_local()
