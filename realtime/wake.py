"""Waking the event-log bridge as soon as another process has logged an event.

In the embedded mode a save made by another process (a management command, the
shell, a second worker) reaches the server's sockets only through the event log,
which the bridge polls every ``BRIDGE_POLL_INTERVAL``: up to 200 ms of latency for
nothing. So the server binds a datagram socket and a publishing process sends it
one byte after each commit: the bridge polls at once. The poll stays the
guarantee — a lost datagram only costs the interval — and the datagram carries
nothing but "look now", so nobody can inject or forge an event through it.

Linux abstract sockets (no file to clean up), one address per database: every
process that writes the same event log wakes the same server. A second server on
the same database cannot bind it and keeps polling. Elsewhere, polling only.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import sys

from django.conf import settings
from django.db import connections

logger = logging.getLogger("realtime.wake")

_listening: socket.socket | None = None
_sender: socket.socket | None = None


def address() -> str | None:
    """This database's wake address, or None where abstract sockets do not exist."""
    if not sys.platform.startswith("linux"):
        return None
    db = settings.DATABASES["default"]
    key = f"{db.get('ENGINE')}|{db.get('HOST')}|{db.get('PORT')}|{connections['default'].settings_dict['NAME']}"
    return "\0omni-sales-realtime-wake-" + hashlib.sha256(key.encode()).hexdigest()[:32]


def listen(wake: asyncio.Event) -> bool:
    """Set ``wake`` whenever a datagram arrives; False if another process has the address."""
    global _listening
    name = address()
    if name is None:
        return False
    stop_listening()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(name)
    except OSError as exc:
        sock.close()
        logger.warning("bridge wake-up unavailable (%s): polling only", exc)
        return False
    sock.setblocking(False)

    def readable() -> None:
        try:
            while sock.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        wake.set()

    asyncio.get_running_loop().add_reader(sock.fileno(), readable)
    _listening = sock
    return True


def stop_listening() -> None:
    global _listening
    if _listening is not None:
        try:
            asyncio.get_running_loop().remove_reader(_listening.fileno())
        except RuntimeError:
            pass  # no running loop: the old loop is gone with its reader
        _listening.close()
        _listening = None


def send() -> None:
    """Tell the server of this database to poll the log now; never raises."""
    global _sender
    if _listening is not None:
        return  # this process is the server: its own events need no bridge
    name = address()
    if name is None:
        return
    try:
        if _sender is None:
            _sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            _sender.setblocking(False)
        _sender.sendto(b"!", name)
    except OSError:
        pass  # no server listening, or its queue is full: it polls anyway
