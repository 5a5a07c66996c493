"""Password guessing against ``POST /api/ws/token``: throttled and locked out.

- ``TokenAttemptThrottle`` counts every attempt per client IP *before* its credentials
  are checked, so wrong passwords are throttled too (DRF checks a view's throttles only
  after authentication, which fails first for a wrong password).
- ``TokenRateThrottle`` bounds the tokens one user may fetch.
- Both count in Django's default cache: with several server processes it must be a
  shared one (Redis), or each process counts alone (``realtime.W004``).
- ``LockoutAwareBasicAuthentication`` answers 429 ``locked_out`` instead of 401 when a
  lockout library refused the login (django-axes sets ``request.axes_locked_out``), so
  a locked-out client is told to wait rather than to try another password.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import status
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle

from .conf import setting
from .logins import client_ip

logger = logging.getLogger("realtime.throttling")


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = "Too many failed logins for this account from here; try again later."


class LockoutAwareBasicAuthentication(BasicAuthentication):
    def authenticate_credentials(self, userid: str, password: str,
                                 request: Any = None) -> tuple[Any, None]:
        try:
            return super().authenticate_credentials(userid, password, request)
        except AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):
                raise LockedOut() from None
            raise


class FailOpen:
    """A throttle whose cache is down lets the request through (logged and counted)
    rather than failing it: a Redis outage must not stop logins and tokens, and the
    lockout (django-axes, in the database) still holds meanwhile."""

    def allow_request(self, request: Any, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - whatever the cache backend raises
            from . import stats

            stats.incr("login.throttle_unavailable")
            logger.warning("throttle %s: cache unavailable, request let through",
                           type(self).__name__, exc_info=True)
            return True


class TokenAttemptThrottle(FailOpen, SimpleRateThrottle):
    """Every attempt at the token endpoint, per client IP, whether or not it succeeds."""

    scope = "realtime.token_attempts"

    def get_rate(self) -> str:
        return setting("TOKEN_ATTEMPT_RATE")

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not request.META.get("HTTP_AUTHORIZATION", "").lower().startswith("basic "):
            return None  # a cookie's token fetch guesses no password: not counted
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or ""}


class TokenRateThrottle(FailOpen, UserRateThrottle):
    """Tokens fetched per user."""

    scope = "realtime.tokens"

    def get_rate(self) -> str:
        return setting("TOKEN_RATE")
