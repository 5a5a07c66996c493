"""Failed logins and lockouts, wherever they happen (the login page, the admin, the token
endpoint's Basic auth): logged, and counted as ``login.failed`` and ``login.locked_out``
in the stats (``realtime_login_failures_total``, ``realtime_login_lockouts_total``).
Lockouts come from django-axes when it is installed (docs/security.md).
"""

from __future__ import annotations

import logging
from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_login_failed

from . import stats

logger = logging.getLogger("realtime.logins")


def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                  **kwargs: Any) -> None:
    stats.incr("login.failed")
    logger.warning("login failed username=%r ip=%s path=%s", credentials.get("username"),
                   client_ip(request), getattr(request, "path", None))


def _locked_out(sender: Any, request: Any = None, username: str | None = None,
                ip_address: str | None = None, **kwargs: Any) -> None:
    stats.incr("login.locked_out")
    logger.warning("login locked out username=%r ip=%s", username, ip_address)


def client_ip(request: Any) -> str | None:
    """The peer's address as the server resolved it (``REMOTE_ADDR``: behind a proxy,
    Daphne's and uvicorn's ``--proxy-headers`` put the client's there), never the raw
    ``X-Forwarded-For`` DRF's ``get_ident`` would read, which a client can set to get a
    fresh budget per guess. The token throttles and the per-IP cap read the same
    address; django-axes too, with ``AXES_CLIENT_IP_CALLABLE =
    "realtime.logins.client_ip"``."""
    meta = getattr(request, "META", None)
    return meta.get("REMOTE_ADDR") if meta else None


def connect_signals() -> None:
    user_login_failed.connect(_login_failed, dispatch_uid="realtime.logins.failed")
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out

        user_locked_out.connect(_locked_out, dispatch_uid="realtime.logins.locked_out")
