"""HTTP endpoints of the protocol: description, info, stats, tokens."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import presence, stats, tokens
from .conf import setting
from .events import describe, namespaces_for
from .permissions import IsRealtimeAdmin, SeesPresence
from .protocol import CLOSE_CODES, ERROR_CODES, PROTOCOL_VERSION
from .roles import identify
from .throttling import LockoutAwareBasicAuthentication, TokenAttemptThrottle, TokenRateThrottle

FEATURES = ["multiplex", "namespace-endpoints", "session-auth", "token-auth", "resume",
            "heartbeat", "rate-limit", "origin-check", "presence"]


def _endpoints(request: Request) -> dict[str, str]:
    scheme = "wss" if request.is_secure() else "ws"
    host = request.get_host()
    return {"multiplexed": f"{scheme}://{host}/api/ws",
            "namespace": f"{scheme}://{host}/ws/{{namespace}}/",
            "info": "/api/ws/info", "stats": "/api/ws/stats", "token": "/api/ws/token"}


class DescribeView(APIView):
    """``GET /api/ws``: where to connect and which events exist."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"protocol": PROTOCOL_VERSION, "endpoints": _endpoints(request),
                         "namespaces": describe(), "errorCodes": list(ERROR_CODES),
                         "closeCodes": CLOSE_CODES})


class InfoView(APIView):
    """``GET /api/ws/info``: features, limits, and what the caller's role may subscribe to."""

    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        identity = identify(request.user)
        return Response({
            "protocol": PROTOCOL_VERSION,
            "features": FEATURES,
            "limits": {
                "maxConnections": setting("MAX_CONNECTIONS"),
                "maxConnectionsPerIp": setting("MAX_CONNECTIONS_PER_IP"),
                "rateLimit": {"frames": setting("RATE_LIMIT"), "per": 60_000,
                              "burst": setting("RATE_LIMIT_BURST")},
                "maxPayload": setting("MAX_PAYLOAD"),
                "heartbeat": {"interval": setting("PING_INTERVAL"),
                              "timeout": setting("PONG_TIMEOUT")},
                "tokenTtl": setting("TOKEN_TTL"),
            },
            "role": identity.role,
            "userId": identity.user_id,
            "namespaces": namespaces_for(identity.role),
        })


class StatsView(APIView):
    """``GET /api/ws/stats``: connection and event figures of every live server process,
    totalled (this process first in ``processes``); admin role only.

    The JSON shape is documented in docs/operations.md, "Monitoring".
    """

    permission_classes = [IsAuthenticated, IsRealtimeAdmin]

    def get(self, request: Request) -> Response:
        return Response(stats.cluster())


class PresenceView(APIView):
    """``GET /api/ws/presence``: owners online now, for roles that see the namespace that
    announces presence (``customerIds`` names the demo's owners; the key is kept)."""

    permission_classes = [IsAuthenticated, SeesPresence]

    def get(self, request: Request) -> Response:
        online = async_to_sync(presence.online_customers)()
        return Response({"online": len(online), "customerIds": online})


class TokenView(APIView):
    """``POST /api/ws/token``: a short-lived signed token for the socket's ``auth`` frame.

    Basic or session authentication; attempts are throttled per IP before the password
    is checked, tokens per user after (realtime/logins.py)."""

    authentication_classes = [LockoutAwareBasicAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [TokenRateThrottle]

    def perform_authentication(self, request: Request) -> None:
        attempts = TokenAttemptThrottle()
        if not attempts.allow_request(request, self):
            stats.incr("login.throttled")
            self.throttled(request, attempts.wait())
        super().perform_authentication(request)

    def post(self, request: Request, *args: Any) -> Response:
        # A token fetched with the session cookie ends with that session (logout).
        from_session = isinstance(request.successful_authenticator, SessionAuthentication)
        session_key = request.session.session_key if from_session else None
        return Response({"token": tokens.issue(request.user, session_key),
                         "expiresIn": setting("TOKEN_TTL")})


class TokenRevokeView(APIView):
    """``POST /api/ws/token/revoke`` with ``{"token": ...}``: the token stops authenticating
    and the sockets it opened close with 4500, on every process. A user revokes their own."""

    permission_classes = [IsAuthenticated]

    def post(self, request: Request, *args: Any) -> Response:
        token = request.data.get("token") if hasattr(request.data, "get") else None
        named = tokens.claims_of(token) if isinstance(token, str) else None
        if named is None:
            raise ValidationError({"token": "Not a token issued by POST /api/ws/token."})
        user_id, token_id = named
        if user_id != request.user.pk:
            raise PermissionDenied("A token can be revoked only by the user it was issued to.")
        tokens.revoke([(user_id, token_id)])
        return Response(status=204)
