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
# During a fan-out the clock is looked at every CHECK_EVERY sockets, and the loop
# handed back once FAN_OUT_SLICE ms have passed (realtime/conf.py).
CHECK_EVERY = 16
# The pre-built WebSocket frame of an event, for servers that write it as is.
WIRE = "realtime.wire"
# The whole ``websocket.send`` message of an event, shared by every socket's send.
SEND = "realtime.send_message"


def send_message(text: str) -> dict[str, Any]:
    """The ``websocket.send`` message of a frame, with its wire bytes for realtime.server."""
    return {"type": "websocket.send", "text": text, WIRE: text_frame(text)}


def batch_message(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """One ``batch`` frame of events, in order, from their already-encoded texts."""
    texts = ",".join(message["text"] for message in messages)
    return send_message(f'{{"type":"batch","data":[{texts}]}}')


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
        # Events waiting for the fan-out task, in arrival order, with their group.
        self.backlog: list[tuple[str, dict[str, Any]]] = []
        self.drainer: asyncio.Task | None = None

    async def _ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        # A new event loop (tests run one per test): nothing of the old one survives.
        self.loop, self.groups, self.pending, self.channel = loop, {}, {}, None
        self.backlog, self.drainer = [], None
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
        """Queue a message for the group's local members (debounced ones after the window).

        Events wait in one backlog, in arrival order, for the drain task; whatever
        arrives while it is still writing earlier events is sent as ``batch`` frames
        on its next round, so a burst costs one write per socket per round, not per
        event. An idle hub sends a lone event at once, as a frame of its own.
        """
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
        if not self.groups.get(group):
            return
        if message["type"] != EVENT:
            # Control may query the database: run it in a context of its own, not in
            # the publisher's (an async_to_sync call whose executor ends with it).
            loop = asyncio.get_running_loop()
            for consumer in tuple(self.groups[group]):
                loop.create_task(consumer.control(message), context=contextvars.Context())
            return
        if SEND not in message:
            # The ASGI send message every member writes, built once per event.
            message[SEND] = send_message(message["text"])
        self.backlog.append((group, message))
        if self.drainer is None:
            self.drainer = asyncio.get_running_loop().create_task(
                self._drain(), name="realtime-hub-fan-out", context=contextvars.Context())

    async def _drain(self) -> None:
        """Send the backlog, round after round, until it is empty.

        One task does every fan-out, so events reach each socket in the order they
        arrived. A round takes the whole backlog and groups it by group (the order
        within a group kept): a socket's events of one namespace all come through one
        group, so their order is kept too.
        """
        try:
            while self.backlog:
                rounds, self.backlog = self.backlog, []
                by_group: dict[str, list[dict[str, Any]]] = {}
                for group, message in rounds:
                    by_group.setdefault(group, []).append(message)
                for group, messages in by_group.items():
                    await self._fan_out(group, messages)
        finally:
            self.drainer = None

    async def _fan_out(self, group: str, messages: list[dict[str, Any]]) -> None:
        """Events of one group to its members: one frame each, or ``batch`` frames.

        Yields to the loop every FAN_OUT_SLICE of time and after each frame: transports flush
        what was written (a burst must not pile up unsent, or healthy readers look
        slow), and other sockets' frames, auth and heartbeats are not held up behind
        a large fan-out; events arriving meanwhile make the next round's batch. A
        slice of time rather than of sockets: an ``auth`` takes several loop turns,
        and a count of sockets is worth more or less time with the frame's size.
        """
        size = setting("BATCH_MAX")
        clock = asyncio.get_running_loop().time
        slice_s = setting("FAN_OUT_SLICE") / 1000
        for start in range(0, len(messages), size):
            part = messages[start:start + size]
            send = part[0][SEND] if len(part) == 1 else batch_message(part)
            members = self.groups.get(group)
            if not members:
                return
            until = clock() + slice_s
            for index, consumer in enumerate(tuple(members), 1):
                try:
                    await consumer.deliver(part, send)
                except Exception:
                    # One socket's failure is its own; the others still get the event.
                    logger.exception("delivery failed group=%s", group)
                if not index % CHECK_EVERY and clock() > until:
                    await asyncio.sleep(0)
                    until = clock() + slice_s
            await asyncio.sleep(0)

    def _fire(self, slot: tuple[str, str]) -> None:
        message = self.pending.pop(slot, None)
        if message is not None:
            message = {k: v for k, v in message.items() if k != "debounce"}
            asyncio.ensure_future(self.dispatch(slot[1], message))


hub = Hub()
