"""ASGI entry point: HTTP through Django, WebSockets through the realtime app."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni_sales.settings")
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from realtime.auth import websocket_stack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    # The embedded default has no proxy in front to serve /static/.
    "http": ASGIStaticFilesHandler(django_http) if settings.SERVE_STATIC else django_http,
    "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
})
