"""Who is on the other end of a socket: session cookie, signed token, origin.

Identity comes only from what the server can verify: Django's session at the
handshake (Channels' ``AuthMiddlewareStack``) or a short-lived token signed
with ``django.core.signing`` (realtime/tokens.py). Fields a client claims about
itself are ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from asgiref.sync import markcoroutinefunction
from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator
from django.contrib.auth.models import AnonymousUser

from .conf import setting

# A page's origin on its default port is written without it (RFC 6454).
DEFAULT_PORTS = {"http": 80, "https": 443}
# The scheme a browser writes in Origin for a socket opened over each transport.
PAGE_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}

# The origin (scheme, port) of the handshake being checked. Channels' OriginValidator
# parses the Origin header and asks ``valid_origin(parsed_origin)`` without the scope, and
# a host pattern needs the server's own scheme and port: ``__call__`` sets it around that.
_own_origin: ContextVar[tuple[str, int] | None] = ContextVar("realtime_own_origin",
                                                             default=None)


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin1")
    return None


def own_origin(scope: dict) -> tuple[str, int] | None:
    """(scheme, port) of the handshake request itself: what a page served by this
    server writes in its Origin header. None when it cannot be told (no Host header and
    no server address, a bad port): host patterns then match nothing.

    The scheme is the one the server reports (``scope["scheme"]``: ``ws``/``wss``, set
    from X-Forwarded-Proto by a server run with ``--proxy-headers``, and by
    ``realtime.server`` from TLS). Stock Daphne reports none: the proxy's
    X-Forwarded-Proto is read then, which is safe here because a page cannot set that
    header on a WebSocket handshake, and any client that can could forge Origin as well.
    The port is the Host header's (the scheme's default without one), as the browser
    connected to it.
    """
    reported = scope.get("scheme") or (_header(scope, b"x-forwarded-proto") or "ws")
    scheme = PAGE_SCHEMES.get(reported.split(",")[0].strip().lower())
    if scheme is None:
        return None
    host = _header(scope, b"host")
    if host is None:
        server = scope.get("server")
        return (scheme, server[1]) if server and server[1] else None
    try:
        port = urlsplit("//" + host.strip()).port
    except ValueError:
        return None
    return scheme, port or DEFAULT_PORTS[scheme]


class RealtimeOriginValidator(OriginValidator):
    """Channels' origin check, reading ALLOWED_ORIGINS from settings on each handshake,
    comparing scheme, host and port: the same-origin rule a browser applies, since a
    page on another port or scheme of the same host is another site to the browser but
    would carry the same session cookie (cookies ignore ports).

    - A full origin (``https://example.com:8443``) matches exactly, default ports
      normalised (``https://example.com`` is ``https://example.com:443``).
    - A host pattern (``example.com``, ``.example.com``, as ALLOWED_HOSTS writes them,
      and the default taken from ALLOWED_HOSTS) matches the host, on the server's own
      scheme and port only (``own_origin``): pages served by this server. Pages of
      other ports or schemes need their full origin listed.
    - ``*`` matches any origin.

    Clients that send no Origin header (scripts, apps) pass when
    ``ALLOW_MISSING_ORIGIN`` is set: the check protects browsers' cookies, and a browser
    always sends an Origin.
    """

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=())

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        token = _own_origin.set(own_origin(scope))
        try:
            return await super().__call__(scope, receive, send)
        finally:
            _own_origin.reset(token)

    def valid_origin(self, parsed_origin: Any) -> bool:
        allowed = setting("ALLOWED_ORIGINS")
        if parsed_origin is None:
            return setting("ALLOW_MISSING_ORIGIN") or "*" in allowed
        try:
            return any(pattern == "*" or self.match_allowed_origin(parsed_origin, pattern)
                       for pattern in allowed)
        except ValueError:  # a port that is not a number: no page's origin
            return False

    def match_allowed_origin(self, parsed_origin: Any, pattern: str) -> bool:
        """Channels' match, which compares scheme and port for a full origin only; a host
        pattern must also be on the handshake's own scheme and port."""
        if not super().match_allowed_origin(parsed_origin, pattern):
            return False
        if urlsplit(pattern.lower()).scheme:
            return True
        own = _own_origin.get()
        return own is not None and (parsed_origin.scheme, self.get_origin_port(parsed_origin)) == own


RAW_SEND = "realtime.send"
# Stateless: one for every socket that has no session.
ANONYMOUS_USER = AnonymousUser()


class KeepServerSend:
    """Put the server's own ``send`` in the scope, below any middleware's wrapper.

    The fan-out sends thousands of event frames a second; the session middleware's
    wrapper only matters for HTTP responses, so events skip it.
    """

    def __init__(self, application: Any) -> None:
        self.application = application

    @markcoroutinefunction  # an ASGI 3 application to servers that ask (uvicorn)
    def __call__(self, scope: dict, receive: Any, send: Any) -> Awaitable[Any]:
        # Set on the server's own scope rather than a copy: the middleware below copies
        # it anyway, and each copy is kept for the socket's lifetime.
        scope[RAW_SEND] = send
        # The application's own coroutine, not one awaiting it: a suspended frame per
        # socket fewer, for the socket's lifetime (docs/performance.md).
        return self.application(scope, receive, send)


class SessionWhenCookie:
    """Channels' session authentication for handshakes that carry a cookie; not the rest.

    Without a ``Cookie`` header there is no session to find: Channels' stack would
    still copy the scope three times, wrap ``send``, build a session store and a lazy
    user, and queue a ``get_user`` call on the one database thread — per socket, kept
    for its lifetime — to arrive at ``AnonymousUser``. Token clients (scripts, apps,
    the load client) are identified by ``auth`` instead, so they skip to that result.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.with_session = AuthMiddlewareStack(inner)

    @markcoroutinefunction
    def __call__(self, scope: dict, receive: Any, send: Any) -> Awaitable[Any]:
        # Returns the next application's coroutine, as KeepServerSend does.
        if any(name == b"cookie" for name, _ in scope.get("headers", ())):
            return self.with_session(scope, receive, send)
        # The server's own scope, as KeepServerSend does: the router copies it anyway.
        scope["user"] = ANONYMOUS_USER
        return self.inner(scope, receive, send)


def websocket_stack(inner: Any) -> Any:
    """Origin check outside, session authentication (if a cookie) inside, then the router."""
    return KeepServerSend(RealtimeOriginValidator(SessionWhenCookie(inner)))
