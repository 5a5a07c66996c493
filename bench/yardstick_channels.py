"""Yardstick: stock Django Channels, the "stock Channels" line of the bench.

Why it exists: the project is built on Channels, so every figure of the project is
also seen against what Channels delivers when used as its documentation shows it,
measured in the same run. This is that app, with no tricks: Django settings made with
``settings.configure``, the ``channels_redis`` ``RedisPubSubChannelLayer`` on the
Redis whose URL is in ``BENCH_CHANNELS_REDIS_URL`` (bench/targets.py starts one), an
``AsyncJsonWebsocketConsumer`` joined to a group with ``group_add``, events sent with
``group_send`` to a handler that does ``self.send(text_data=...)``, served by stock
Daphne with its default options::

    BENCH_CHANNELS_REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m daphne -b 127.0.0.1 -p PORT bench.yardstick_channels:application

(cwd = the repository root; Daphne's default access log, a line per request and per
socket connect/disconnect, goes to the target's log file). The socket protocol is the other yardsticks': a socket
gets ``connected``; ``auth`` is answered with ``authenticated`` (the token is not
checked), ``subscribe`` does ``group_add("orders", self.channel_name)`` and answers
``subscribed``; a client ``ping`` gets ``pong``. There is no ``AuthMiddlewareStack``
(it needs sessions and a database) and no ``AllowedHostsOriginValidator`` (the load
clients send no ``Origin``): the other yardsticks do not authenticate either.

HTTP, a small ASGI app in the same ``ProtocolTypeRouter``: ``GET /trigger?k=K``
answers at once and, in a background task, does K ``group_send("orders", {"type":
"order.event", "text": frame})``, each frame encoded once per event with its ``ts``
(as the project does per publish); ``GET /health`` answers ``ok``; ``GET /stats`` the
number of open sockets.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import parse_qs

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-yardstick-channels",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=["channels"],
        ASGI_APPLICATION="bench.yardstick_channels.application",
        CHANNEL_LAYERS={
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [os.environ.get("BENCH_CHANNELS_REDIS_URL",
                                                    "redis://127.0.0.1:6379/0")]},
            },
        },
    )
django.setup()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.yardstick_frames import next_event_frame, ts_now  # noqa: E402

GROUP = "orders"


class OrdersConsumer(AsyncJsonWebsocketConsumer):
    """One socket: the handshake frames, ``group_add`` on subscribe, group events out."""

    open_sockets = 0  # in this process, for GET /stats
    counted = False
    subscribed = False

    async def connect(self) -> None:
        await self.accept()
        OrdersConsumer.open_sockets += 1
        self.counted = True
        await self.send_json({"type": "connected", "data": {"role": "guest", "protocol": 1}})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        ref = content.get("ref")
        if kind == "auth":
            await self.send_json({"type": "authenticated", "ref": ref,
                                  "data": {"userId": 1, "role": "staff",
                                           "namespaces": [GROUP]}})
        elif kind == "subscribe":
            await self.channel_layer.group_add(GROUP, self.channel_name)
            self.subscribed = True
            await self.send_json({"type": "subscribed", "ref": ref,
                                  "data": {"namespace": GROUP, "lastEventId": 0,
                                           "recovered": False}})
        elif kind == "ping":
            await self.send_json({"type": "pong", "ref": ref, "data": content.get("data")})

    async def order_event(self, event: dict[str, Any]) -> None:
        """``group_send`` type ``order.event``: the frame, as encoded by the sender."""
        await self.send(text_data=event["text"])

    async def disconnect(self, code: int) -> None:
        if self.subscribed:
            await self.channel_layer.group_discard(GROUP, self.channel_name)
        if self.counted:
            OrdersConsumer.open_sockets -= 1


# HTTP: /health, /stats, /trigger?k=K

background: set[asyncio.Task] = set()


async def send_events(count: int, ts: str) -> None:
    layer = get_channel_layer()
    for _ in range(count):
        text = next_event_frame(GROUP, ts)
        await layer.group_send(GROUP, {"type": "order.event", "text": text})


async def http_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    status, body = 200, b""
    if scope["path"] == "/trigger":
        count = int(parse_qs(scope["query_string"].decode()).get("k", ["1"])[0])
        task = asyncio.get_running_loop().create_task(send_events(count, ts_now()))
        background.add(task)
        task.add_done_callback(background.discard)
        body = f"{count}\n".encode()
    elif scope["path"] == "/health":
        body = b"ok\n"
    elif scope["path"] == "/stats":
        body = f"{OrdersConsumer.open_sockets}\n".encode()
    else:
        status = 404
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


application = ProtocolTypeRouter({
    "http": http_app,
    "websocket": URLRouter([path("api/ws", OrdersConsumer.as_asgi())]),
})
