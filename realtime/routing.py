"""WebSocket URL patterns; a host project adds them to its ASGI router."""

from django.urls import re_path

from .consumers import MultiplexConsumer, NamespaceConsumer

websocket_urlpatterns = [
    re_path(r"^api/ws/?$", MultiplexConsumer.as_asgi()),
    re_path(r"^ws/(?P<namespace>[A-Za-z0-9_-]{1,32})/?$", NamespaceConsumer.as_asgi()),
]
