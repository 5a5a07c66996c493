"""ASGI applications for realtime.E006's tests, importable by dotted path."""

from __future__ import annotations

from typing import Any

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

from realtime.auth import websocket_stack
from realtime.routing import websocket_urlpatterns

django_http = get_asgi_application()

# startproject's asgi.py: Django's handler, no ProtocolTypeRouter.
plain_django = django_http
http_only = ProtocolTypeRouter({"http": django_http})
routed = ProtocolTypeRouter({
    "http": django_http,
    "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
})


class Middleware:
    """ASGI middleware keeping the application it wraps as ``.app``, as most do."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


wrapped = Middleware(routed)
