"""The demo's authentication backends."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class NetworkLoginsAxesBackend(AxesStandaloneBackend):
    """django-axes for logins that come over the network, which always carry a request
    (the login view, the admin, DRF's Basic auth). ``authenticate()`` without one — a
    shell, a management command, the test client's ``login()`` — is not a guess from
    outside, and axes would refuse it (``AxesBackendRequestParameterRequired``)."""

    def authenticate(self, request: Any, username: str | None = None,
                     password: str | None = None, **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
