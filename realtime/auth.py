"""Who is on the other end of a socket: session cookie, signed token, origin.

Identity comes only from what the server can verify: Django's session at the
handshake (Channels' ``AuthMiddlewareStack``) or a short-lived token signed
with ``django.core.signing`` (realtime/tokens.py). Fields a client claims about
itself are ignored.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import OriginValidator
from django.contrib.auth.models import AnonymousUser

from .conf import setting


class RealtimeOriginValidator(OriginValidator):
    """Channels' origin check, reading ALLOWED_ORIGINS from settings on each handshake.

    Patterns are those of ALLOWED_HOSTS (``example.com``, ``.example.com``, ``*``)
    or full origins (``https://example.com:8443``). Clients that send no Origin
    header (scripts, apps) pass when ``ALLOW_MISSING_ORIGIN`` is set: the check
    protects browsers' cookies, and a browser always sends an Origin.
    """

    def __init__(self, application: Any) -> None:
        super().__init__(application, allowed_origins=())

    def valid_origin(self, parsed_origin: Any) -> bool:
        allowed = setting("ALLOWED_ORIGINS")
        if parsed_origin is None:
            return setting("ALLOW_MISSING_ORIGIN") or "*" in allowed
        return any(pattern == "*" or self.match_allowed_origin(parsed_origin, pattern)
                   for pattern in allowed)


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

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        # Set on the server's own scope rather than a copy: the middleware below copies
        # it anyway, and each copy is kept for the socket's lifetime.
        scope[RAW_SEND] = send
        return await self.application(scope, receive, send)


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

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if any(name == b"cookie" for name, _ in scope.get("headers", ())):
            return await self.with_session(scope, receive, send)
        # The server's own scope, as KeepServerSend does: the router copies it anyway.
        scope["user"] = ANONYMOUS_USER
        return await self.inner(scope, receive, send)


def websocket_stack(inner: Any) -> Any:
    """Origin check outside, session authentication (if a cookie) inside, then the router."""
    return KeepServerSend(RealtimeOriginValidator(SessionWhenCookie(inner)))
