"""The fan-out: one subscriber per server process, then a loop over local sockets.

Stock Channels gives every socket its own layer channel: each event is then
queued, deserialized and dispatched once per socket (with a thread hop for
database cleanup before each handler), and the in-memory layer walks every
group member on each receive. Here the process joins each group *once*, on a
single hub channel, receives each event once, and hands the already-encoded
frame to the local members of the group. Groups keep their meaning — the
audience an event is for — and membership is still decided at subscribe time.

With an in-process layer (the embedded default) there is nothing to cross, so
events go straight from ``publish`` to the hub.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import TYPE_CHECKING, Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

from .conf import setting
from .protocol import text_frame

if TYPE_CHECKING:
    from .consumers import RealtimeConsumer

logger = logging.getLogger("realtime.hub")

EVENT = "rt.event"
CONTROL = "rt.control"
# Sockets served between two yields to the event loop during one event's fan-out.
CHUNK = 256
# The pre-built WebSocket frame of an event, for servers that write it as is.
WIRE = "realtime.wire"
# The whole ``websocket.send`` message of an event, shared by every socket's send.
SEND = "realtime.send_message"


def is_local(layer: Any) -> bool:
    """No layer to cross: events are handed over in this process."""
    return layer is None or isinstance(layer, InMemoryChannelLayer)


class Hub:
    def __init__(self) -> None:
        self.groups: dict[str, set[RealtimeConsumer]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.channel: str | None = None
        self.layer: Any = None
        self.task: asyncio.Task | None = None
        # Debounced messages per (key, group) and the timer already set for them.
        self.pending: dict[tuple[str, str], dict[str, Any]] = {}


    async def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        # A new event loop (tests run one per test): nothing of the old one survives.
        self.loop, self.groups, self.pending, self.channel = loop, {}, {}, None
        self.fan_out = asyncio.Lock()
        self.layer = get_channel_layer()
        if not is_local(self.layer):
            self.channel = await self.layer.new_channel("rt.hub.")
            self.task = loop.create_task(self._receive_forever(), name="realtime-hub")

    async def join(self, group: str, consumer: RealtimeConsumer) -> None:
        await self._ensure()
        members = self.groups.get(group)
        if members is None:
            members = self.groups[group] = set()
            if self.channel is not None:
                await self.layer.group_add(group, self.channel)
        members.add(consumer)

    async def leave(self, group: str, consumer: RealtimeConsumer) -> None:
        members = self.groups.get(group)
        if members is None or consumer not in members:
            return
        members.discard(consumer)
        if not members:
            del self.groups[group]
            if self.channel is not None:
                await self.layer.group_discard(group, self.channel)

    async def publish(self, group: str, message: dict[str, Any]) -> None:
        """Send one message to a group: through the layer, or straight here when local.

        A process without sockets (a management command) only sends; it never
        starts receiving.
        """
        layer = get_channel_layer()
        if is_local(layer):
            if self.loop is asyncio.get_running_loop():
                await self.dispatch(group, message)
        else:
            await layer.group_send(group, {**message, "group": group})

    async def _receive_forever(self) -> None:
        layer, channel = self.layer, self.channel
        while True:
            try:
                message = await layer.receive(channel)
                await self.dispatch(message.get("group", ""), message)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("hub receive failed")
                await asyncio.sleep(0.1)

    async def dispatch(self, group: str, message: dict[str, Any]) -> None:
        """Hand a message to the group's local members (debounced ones after the window)."""
        key = message.get("debounce")
        if key is not None:
            slot = (key, group)
            if slot not in self.pending:
                asyncio.get_running_loop().call_later(setting("DEBOUNCE_WINDOW") / 1000,
                                                      self._fire, slot,
                                                      context=contextvars.Context())
            elif self.pending[slot]["id"] > message["id"]:
                return
            self.pending[slot] = message
            return
        members = self.groups.get(group)
        if not members:
            return
        if message["type"] == EVENT:
            if SEND not in message:
                # The ASGI send message every member writes, built once per event.
                message = {**message, SEND: {"type": "websocket.send", "text": message["text"],
                                             WIRE: text_frame(message["text"])}}
            # One event at a time reaches every member (the lock keeps events in order
            # across concurrent publishers), yielding to the loop every CHUNK sockets
            # and after the event: transports flush what was written (a burst must not
            # pile up unsent, or healthy readers look slow), and other sockets' frames,
            # auth and heartbeats are not held up behind a large fan-out.
            async with self.fan_out:
                for index, consumer in enumerate(tuple(members), 1):
                    await consumer.deliver(message)
                    if not index % CHUNK:
                        await asyncio.sleep(0)
                await asyncio.sleep(0)
        else:
            # Control may query the database: run it in a context of its own, not in
            # the publisher's (an async_to_sync call whose executor ends with it).
            loop = asyncio.get_running_loop()
            for consumer in tuple(members):
                loop.create_task(consumer.control(message), context=contextvars.Context())

    def _fire(self, slot: tuple[str, str]) -> None:
        message = self.pending.pop(slot, None)
        if message is not None:
            message = {k: v for k, v in message.items() if k != "debounce"}
            asyncio.ensure_future(self.dispatch(slot[1], message))


hub = Hub()
