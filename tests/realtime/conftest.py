"""Fixtures for the realtime app's fast suite: sockets through the real ASGI stack.

Users per role come from ``tests/conftest.py`` (``admin_user``, ``manager_user``,
``staff_user``, ``alice``, ``bob``, ``guest_user``).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from realtime.auth import websocket_stack
from realtime.follower import follower
from realtime.routing import websocket_urlpatterns
from realtime.tokens import issue as make_token

APP = websocket_stack(URLRouter(websocket_urlpatterns))

# Long enough for a loaded machine; only a missing frame ever waits this long.
TIMEOUT = 3
# Proving absence: only ever right after a sentinel that arrived, so nothing is in flight.
QUIET = 0.2

# What every test runs with: the demo's configuration, and the log read only once a
# minute: this process publishes every event, so what a socket receives and when is
# decided by the test (tests/realtime/test_follower.py covers the log path).
BASE_REALTIME = {
    **settings.REALTIME,  # the demo's roles, resolvers and namespace order
    "EVENT_LOG_BRIDGE": False,
    "LOG_CHECK_INTERVAL": 60,
    # Offline at once; test_presence_grace covers the grace.
    "PRESENCE_GRACE": 0,
}


def realtime_config(**overrides: Any) -> dict[str, Any]:
    """A whole REALTIME dict (overrides replace the dict, not merge into it)."""
    return {**BASE_REALTIME, **overrides}


@pytest.fixture(autouse=True)
def realtime_settings(settings: Any) -> Callable[..., None]:
    """Applied to every test; call it with keys to change REALTIME for one test."""
    settings.REALTIME = realtime_config()

    def apply(**overrides: Any) -> None:
        settings.REALTIME = realtime_config(**overrides)

    return apply


@pytest.fixture(autouse=True)
def fresh_process_state() -> None:
    """Each test gets its own in-memory layer (its queues belong to one event loop)
    and no token throttle history. Presence and connection counts need no reset:
    the ``connect`` fixture closes every socket it opened."""
    channel_layers.backends = {}
    cache.clear()


class Socket:
    """A WebsocketCommunicator speaking JSON frames, with the ``connected`` frame kept."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.communicator = communicator
        self.hello: dict[str, Any] = {}
        self.closed = False
        self.unbatched: list[dict[str, Any]] = []
        self.batches = 0

    async def send(self, frame_type: str, data: Any = None, ref: Any = None) -> None:
        frame: dict[str, Any] = {"type": frame_type}
        if data is not None:
            frame["data"] = data
        if ref is not None:
            frame["ref"] = ref
        await self.send_raw(json.dumps(frame))

    async def send_raw(self, text: str) -> None:
        await self.communicator.send_to(text_data=text)

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next frame; the events of a ``batch`` frame one by one, as clients do
        (the server batches when it has a backlog; ``batches`` counts those frames)."""
        if self.unbatched:
            return self.unbatched.pop(0)
        text = await self.communicator.receive_from(timeout=timeout)
        assert isinstance(text, str), f"expected a text frame, got {text!r}"
        frame = json.loads(text)
        assert isinstance(frame, dict), frame
        if frame.get("type") == "batch":
            assert isinstance(frame["data"], list) and len(frame["data"]) > 1, frame
            self.batches += 1
            first, *self.unbatched = frame["data"]
            return first
        return frame

    async def expect(self, frame_type: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        frame = await self.recv(timeout)
        assert frame["type"] == frame_type, frame
        return frame

    async def request(self, frame_type: str, data: Any = None, ref: Any = None) -> dict:
        """Send a frame and return the next frame (its reply)."""
        await self.send(frame_type, data, ref)
        return await self.recv()

    async def subscribe(self, namespace: str, since: int | None = None,
                        ref: Any = None) -> dict[str, Any]:
        data: dict[str, Any] = {"namespace": namespace}
        if since is not None:
            data["since"] = since
        reply = await self.request("subscribe", data, ref)
        assert reply["type"] == "subscribed", reply
        return reply

    async def error(self, frame_type: str, data: Any = None, ref: Any = None) -> dict:
        """Send a frame that must be refused; the ``error`` frame's data (and ref)."""
        reply = await self.request(frame_type, data, ref)
        assert reply["type"] == "error", reply
        return reply

    async def sync(self) -> None:
        """A ping round trip: every frame the server queued before it has been read."""
        marker = object.__repr__(self)
        reply = await self.request("ping", {"ts": marker})
        assert reply == {"type": "pong", "data": {"ts": marker}}, reply

    async def expect_close(self, timeout: float = TIMEOUT) -> Any:
        """The server closes the socket next; returns the close code."""
        output = await self.communicator.receive_output(timeout)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def assert_nothing(self) -> None:
        assert not self.unbatched, f"unexpected frames {self.unbatched}"
        assert await self.communicator.receive_nothing(timeout=QUIET), "unexpected frame"

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.communicator.disconnect()


# The Host header of every test handshake, as a browser on http://localhost/ sends it
# (the origin check compares a host pattern's origin with the handshake's own).
HOST = "localhost"


def _headers(cookie: str | None, origin: str | None, host: str | None = HOST,
             ) -> list[tuple[bytes, bytes]]:
    headers = [] if host is None else [(b"host", host.encode())]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return headers


@pytest.fixture
def handshake() -> Callable[..., Any]:
    """``await handshake(path="/api/ws", origin=None, cookie=None, host=HOST,
    headers=(), **scope)`` → (accepted, code); ``headers`` are added, ``scope`` keys set
    (``scheme="wss"``); the socket, if accepted, is closed again."""

    async def attempt(path: str = "/api/ws", *, origin: str | None = None,
                      cookie: str | None = None, host: str | None = HOST,
                      headers: tuple[tuple[bytes, bytes], ...] = (),
                      **scope: Any) -> tuple[bool, Any]:
        communicator = WebsocketCommunicator(
            APP, path, headers=[*_headers(cookie, origin, host), *headers])
        communicator.scope.update(scope)
        accepted, code = await communicator.connect(timeout=TIMEOUT)
        await communicator.disconnect(timeout=TIMEOUT)
        return accepted, code

    return attempt


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """``await connect(path="/api/ws", cookie=None, origin=None, token=None,
    client=None)`` → Socket (``client``: the peer's (ip, port) in the scope).

    The socket has read its ``connected`` frame (``socket.hello``); with ``token`` it
    has also sent ``auth`` and read ``authenticated``. Every socket is closed at the end.
    """
    sockets: list[Socket] = []

    async def open_socket(path: str = "/api/ws", *, cookie: str | None = None,
                          origin: str | None = None, token: str | None = None,
                          client: tuple[str, int] | None = None) -> Socket:
        communicator = WebsocketCommunicator(APP, path, headers=_headers(cookie, origin))
        if client is not None:
            communicator.scope["client"] = client
        connected, code = await communicator.connect(timeout=TIMEOUT)
        assert connected, f"handshake refused with {code}"
        socket = Socket(communicator)
        sockets.append(socket)
        socket.hello = await socket.expect("connected")
        # The first socket started the follower: where it stands in the log is known
        # before the test writes more (a server is long past this point).
        await follower.ready()
        if token is not None:
            reply = await socket.request("auth", {"token": token})
            assert reply["type"] == "authenticated", reply
        return socket

    yield open_socket
    for socket in sockets:
        await socket.close()


def login_cookie(user: Any, password: str | None = None) -> str:
    """A real session as a ``Cookie`` header value: ``Client.login`` with the password
    when given (slow: the real hasher), else ``Client.force_login``."""
    client = Client()
    if password is None:
        client.force_login(user)
    else:
        assert client.login(username=user.username, password=password)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def expired_token(user: Any) -> str:
    """A token for ``user`` signed TOKEN_TTL + 60 seconds ago."""
    from realtime.conf import setting

    past = time.time() - setting("TOKEN_TTL") - 60
    with mock.patch("django.core.signing.time", SimpleNamespace(time=lambda: past)):
        return make_token(user)


@pytest.fixture
def cookie_for() -> Callable[[Any], Any]:
    """``await cookie_for(user)``: a session cookie header for a socket."""
    return database_sync_to_async(login_cookie)


@pytest.fixture
def token_for() -> Callable[[Any], Any]:
    """``await token_for(user)``: a token for the ``auth`` frame."""
    return database_sync_to_async(make_token)


@pytest.fixture
def users(admin_user: Any, manager_user: Any, staff_user: Any, alice: Any, bob: Any
          ) -> dict[str, Any]:
    """One user per role name (``customer`` is alice), plus ``alice`` and ``bob``."""
    return {"admin": admin_user, "manager": manager_user, "staff": staff_user,
            "customer": alice, "alice": alice, "bob": bob}


@pytest.fixture
def role_socket(connect: Any, cookie_for: Any, users: dict[str, Any]
                ) -> Callable[..., Any]:
    """``await role_socket(role, path="/api/ws")``: a socket identified by session cookie
    as the user of that role, or anonymous for ``guest``."""

    async def open_as(role: str, path: str = "/api/ws") -> Socket:
        if role == "guest":
            return await connect(path)
        return await connect(path, cookie=await cookie_for(users[role]))

    return open_as


@pytest.fixture
def log_elsewhere() -> Callable[..., Any]:
    """``await log_elsewhere(namespace, type, payload, **fields)``: an event another
    process committed and numbered, whose publish never arrived here; the Event."""
    from django.utils import timezone

    from realtime.models import PendingEvent
    from realtime.sequencer import sequence

    def log(namespace: str, event_type: str, payload: dict[str, Any], **fields: Any) -> Any:
        PendingEvent.objects.create(namespace=namespace, type=event_type, payload=payload,
                                    origin="another-process", created_at=timezone.now(),
                                    **fields)
        (event,) = sequence()
        return event

    return database_sync_to_async(log)


@pytest.fixture
def emit_now() -> Callable[..., Any]:
    """``await emit_now(type, payload, **targets)``: ``emit`` in its own committed
    transaction (from a worker thread, as a view would), returning the logged Event
    at the position it was given after the commit."""
    from django.db import transaction

    from realtime.models import Event
    from realtime.publish import emit

    def emit_committed(event_type: str, payload: dict[str, Any], **targets: Any) -> Any:
        with transaction.atomic():
            pending = emit(event_type, payload, **targets)
        assert pending is not None and pending.position is not None
        return Event.objects.get(pk=pending.position)

    return database_sync_to_async(emit_committed)


@pytest.fixture
def tcp_pair() -> Any:
    """A real Twisted TCP server transport over one end of a socket pair, and the other
    end, non-blocking, to read what actually reached the peer."""
    import socket

    from twisted.internet import reactor
    from twisted.internet.protocol import Protocol
    from twisted.internet.tcp import Server

    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.setblocking(False)
    transport = Server(ours, Protocol(), ("127.0.0.1", 5555), None, 1, reactor)
    transport.stopReading()
    yield transport, peer
    transport.stopWriting()
    ours.close()
    peer.close()


@pytest.fixture
def tcp_loopback() -> Any:
    """A real Twisted TCP server transport over an accepted loopback connection (the
    handshake's Daphne code asks for both addresses), and the client's end."""
    import socket

    from twisted.internet import reactor
    from twisted.internet.protocol import Protocol
    from twisted.internet.tcp import Server

    listener = socket.create_server(("127.0.0.1", 0))
    peer = socket.create_connection(listener.getsockname())
    ours, address = listener.accept()
    listener.close()
    ours.setblocking(False)
    peer.setblocking(False)
    transport = Server(ours, Protocol(), address, None, 1, reactor)
    transport.stopReading()
    yield transport, peer
    transport.stopWriting()
    ours.close()
    peer.close()
