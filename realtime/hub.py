"""The fan-out: every event reaches each server process once, then its local sockets.

Stock Channels gives every socket its own layer channel: each event is then
queued, deserialized and dispatched once per socket (with a thread hop for
database cleanup before each handler), and the in-memory layer walks every
group member on each receive. Here each process has one hub channel subscribed
to one layer group, the log's: every event is received once per process and
handed, in position order (realtime/follower.py), to the local members of the
groups it is for. Groups keep their meaning — the audience an event is for —
and membership is decided at subscribe time, in this process only: joining a
group never waits for, or fails with, the layer.

The layer is a fast path, not the guarantee. A probe sent to the hub's own
channel every ``LOG_CHECK_INTERVAL`` tells whether the layer still carries
messages; while it does not, the follower reads the log at the bridge's pace, and
when it does again the hub joins the log group anew (a restarted Redis has
forgotten it) and the follower fills the gap from the log.

With an in-process layer (the embedded default) there is nothing to cross, so
events go straight from ``publish`` to the follower.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import TYPE_CHECKING, Any

from channels.layers import InMemoryChannelLayer, get_channel_layer

from .conf import setting
from .frames import WIRE
from .messages import EVENT, Message, joined
from .stats import counting

if TYPE_CHECKING:
    from .consumers import RealtimeConsumer

logger = logging.getLogger("realtime.hub")

# During a fan-out the clock is looked at every CHECK_EVERY sockets, and the loop
# handed back once FAN_OUT_SLICE ms have passed (realtime/conf.py), or, while sockets
# connect, as long as the loop took to come back, up to FAIR_SHARE_MAX seconds.
CHECK_EVERY = 16
FAIR_SHARE_MAX = 0.05
# With BATCH_MAX 1, the most events whose frames one write to a socket carries, and
# the most bytes (but always one frame): 100 order events are about 30 KB, and large
# events must not make one write a healthy reader's socket cannot take in before the
# slow-reader bound (MAX_OUTBOUND_BUFFER, 4 MiB by default) drops it.
FRAMES_PER_WRITE = 100
BYTES_PER_WRITE = 256 * 1024


def is_local(layer: Any) -> bool:
    """No layer to cross: events are handed over in this process."""
    return layer is None or isinstance(layer, InMemoryChannelLayer)


PROBE = "rt.probe"


def log_group() -> str:
    """The one layer group every server process's hub listens on."""
    return f"{setting('GROUP_PREFIX')}.log"


class Hub:
    def __init__(self) -> None:
        self.groups: dict[str, set[RealtimeConsumer]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.channel: str | None = None
        self.layer: Any = None
        self.task: asyncio.Task | None = None
        # Whether the layer carried our last probe back in time (always, when local).
        self.layer_ok = True
        self.last_probe_back = 0.0
        # Debounced messages per (key, group) and the timer already set for them.
        self.pending: dict[tuple[str, str], Message] = {}
        # Events waiting for the fan-out task, in arrival order, with their group.
        self.backlog: list[tuple[str, Message]] = []
        self.drainer: asyncio.Task | None = None

    def ensure(self) -> None:
        """Adopt the running loop: a new one (tests run one per test) starts afresh."""
        loop = asyncio.get_running_loop()
        if self.loop is loop:
            return
        self.loop, self.groups, self.pending, self.channel = loop, {}, {}, None
        self.backlog, self.drainer, self.layer_ok = [], None, True
        self.layer = get_channel_layer()
        if not is_local(self.layer):
            self.task = loop.create_task(self._link_forever(), name="realtime-hub")

    @property
    def remote(self) -> bool:
        return not is_local(self.layer)

    async def join(self, group: str, consumer: RealtimeConsumer) -> None:
        self.ensure()
        self.groups.setdefault(group, set()).add(consumer)

    async def leave(self, group: str, consumer: RealtimeConsumer) -> None:
        members = self.groups.get(group)
        if members is None or consumer not in members:
            return
        members.discard(consumer)
        if not members:
            del self.groups[group]

    async def publish(self, message: Message) -> None:
        """Send one event to every server process: through the layer, and straight to
        this process's follower when it runs here (the layer's copy is then a duplicate
        it drops). Raises if the layer refused it.

        A process without sockets (a management command) only sends; it never
        starts receiving.
        """
        from .follower import follower

        if follower.running_here():
            follower.offer(message)
        layer = get_channel_layer()
        if not is_local(layer):
            await layer.group_send(log_group(), message.to_layer())

    async def _link_forever(self) -> None:
        """Keep a channel on the layer, in the log group, and tell the follower whether
        the layer carries messages; never gives up while the loop runs."""
        from .follower import follower

        layer = self.layer
        while True:
            try:
                if self.channel is None:
                    self.channel = await layer.new_channel("rt.hub.")
                    await layer.group_add(log_group(), self.channel)
                await self._receive(layer, follower)
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.layer_ok:
                    logger.warning("channel layer unavailable; reading the event log until "
                                   "it is back", exc_info=True)
                self._set_layer_ok(False, follower)
                self.channel = None
                await asyncio.sleep(setting("LOG_CHECK_INTERVAL"))

    async def _receive(self, layer: Any, follower: Any) -> None:
        """Receive until the layer fails; a probe goes out every check interval.

        The receive is never cancelled while the layer works: channels_redis' pubsub
        layer takes a cancelled receive for a consumer leaving, unsubscribes the
        channel, and drops what arrives until the next receive subscribes it again.
        """
        interval = setting("LOG_CHECK_INTERVAL")
        self.last_probe_back = time.monotonic()
        next_probe = 0.0
        receiving: asyncio.Future | None = None
        try:
            while True:
                now = time.monotonic()
                if now >= next_probe:
                    await layer.send(self.channel, {"type": PROBE})
                    next_probe = now + interval
                    if now - self.last_probe_back > 2 * interval:
                        self._set_layer_ok(False, follower)
                if receiving is None:
                    receiving = asyncio.ensure_future(layer.receive(self.channel))
                done, _ = await asyncio.wait({receiving}, timeout=max(next_probe - now, 0.01))
                if not done:
                    continue
                message, receiving = receiving.result(), None
                if message.get("type") == PROBE:
                    self.last_probe_back = time.monotonic()
                    if not self.layer_ok:
                        # Back: a restarted Redis forgot the group; join it again.
                        await layer.group_add(log_group(), self.channel)
                        logger.warning("channel layer back; filling the gap from the event log")
                        self._set_layer_ok(True, follower)
                    continue
                follower.offer(Message.from_layer(message))
        finally:
            if receiving is not None and not receiving.done():
                receiving.cancel()

    def _set_layer_ok(self, ok: bool, follower: Any) -> None:
        if ok == self.layer_ok:
            return
        from . import stats

        self.layer_ok = ok
        stats.incr("layer.recovered" if ok else "layer.lost")
        follower.poke()

    def dispatch_event(self, message: Message) -> None:
        """An event in position order, from the follower, to each group it is for."""
        for group in message.groups:
            if group in self.groups:
                self.dispatch(group, message)

    def dispatch(self, group: str, message: Message) -> None:
        """Queue a message for the group's local members (debounced ones after the window).

        Events wait in one backlog, in arrival order, for the drain task; whatever
        arrives while it is still writing earlier events is sent as ``batch`` frames
        on its next round, so a burst costs one write per socket per round, not per
        event. An idle hub sends a lone event at once, as a frame of its own.
        """
        key = message.debounce
        if key is not None:
            slot = (key, group)
            if slot not in self.pending:
                asyncio.get_running_loop().call_later(setting("DEBOUNCE_WINDOW") / 1000,
                                                      self._fire, slot,
                                                      context=contextvars.Context())
            elif self.pending[slot].id > message.id:
                return
            self.pending[slot] = message
            return
        if not self.groups.get(group):
            return
        if message.kind != EVENT:
            # Control may query the database: run it in a context of its own, not in
            # the publisher's (an async_to_sync call whose executor ends with it).
            loop = asyncio.get_running_loop()
            for consumer in tuple(self.groups[group]):
                loop.create_task(consumer.control(message), context=contextvars.Context())
            return
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
                by_group: dict[str, list[Message]] = {}
                for group, message in rounds:
                    by_group.setdefault(group, []).append(message)
                for group, messages in by_group.items():
                    await self._fan_out(group, messages)
        finally:
            self.drainer = None

    async def _fan_out(self, group: str, messages: list[Message]) -> None:
        """Events of one group to its members: one frame each, or ``batch`` frames; with
        ``BATCH_MAX`` 1, the frames of events that waited are each their own but go to a
        socket in one write (``frames_message``), up to FRAMES_PER_WRITE of them and
        BYTES_PER_WRITE.

        Yields to the loop every FAN_OUT_SLICE of time and after each frame: transports flush
        what was written (a burst must not pile up unsent, or healthy readers look
        slow), and other sockets' frames, auth and heartbeats are not held up behind
        a large fan-out; events arriving meanwhile make the next round's batch. A
        slice of time rather than of sockets: an ``auth`` takes several loop turns,
        and a count of sockets is worth more or less time with the frame's size.

        While sockets are connecting, the slice grows to as long as the loop took to
        come back (a fair half of it): during a reconnect storm one turn of a loop full
        of handshakes takes tens of milliseconds, and a fixed 0.5 ms a turn delivered
        40 events a second, so the sockets that stayed connected got the storm's events
        27 s late. Only then: in a burst the loop's turns are long with the fan-out's
        own writes, and slices grown to them cost a 5,000-socket burst a third of its
        deliveries per second and the ``auth`` frames meanwhile a p99 of 300 ms
        instead of 40 (docs/performance.md).
        """
        size = setting("BATCH_MAX")
        clock = asyncio.get_running_loop().time
        slice_s = setting("FAN_OUT_SLICE") / 1000
        connects = counting.counters["connects"]
        for part in (batches(messages, size) if size > 1 else writes(messages)):
            send = joined(part, batch=size > 1)
            members = self.groups.get(group)
            if not members:
                return
            until = clock() + slice_s
            batched = size > 1 and len(part) > 1
            sent = 0  # sockets sent the whole part, counted every CHECK_EVERY sockets
            for index, consumer in enumerate(tuple(members), 1):
                try:
                    if consumer.send_now is not None:
                        if consumer.deliver_now(part, send):
                            sent += 1
                    else:
                        await consumer.deliver(part, send)
                except Exception:
                    # One socket's failure is its own; the others still get the event.
                    logger.exception("delivery failed group=%s", group)
                if index % CHECK_EVERY:
                    continue
                counting.record_deliveries(part, sent, batched)
                sent = 0
                if clock() > until:
                    left = clock()
                    await asyncio.sleep(0)
                    back = clock()
                    share = slice_s
                    if counting.counters["connects"] != connects:
                        connects = counting.counters["connects"]
                        share = min(max(slice_s, back - left), FAIR_SHARE_MAX)
                    until = back + share
            counting.record_deliveries(part, sent, batched)
            await asyncio.sleep(0)

    def _fire(self, slot: tuple[str, str]) -> None:
        message = self.pending.pop(slot, None)
        if message is not None:
            self.dispatch(slot[1], message.without_debounce())


def batches(messages: list[Message], size: int) -> list[list[Message]]:
    """``batch`` frames of at most ``size`` events, in order."""
    return [messages[start:start + size] for start in range(0, len(messages), size)]


def writes(messages: list[Message]) -> list[list[Message]]:
    """Events whose own frames share one write, in order: at most FRAMES_PER_WRITE
    frames and BYTES_PER_WRITE bytes a write, and at least one frame."""
    parts: list[list[Message]] = []
    part: list[Message] = []
    size = 0
    for message in messages:
        length = len(message.send[WIRE])
        if part and (len(part) == FRAMES_PER_WRITE or size + length > BYTES_PER_WRITE):
            parts.append(part)
            part, size = [], 0
        part.append(message)
        size += length
    if part:
        parts.append(part)
    return parts


hub = Hub()
