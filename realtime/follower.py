"""Every event, in position order, exactly once, to this process's hub.

Positions are dense and become visible in order (realtime/sequencer.py), so the
follower knows after which position it stands (``cursor``) and which one must come
next. Events arrive by two paths:

- fast: from the channel layer, or straight from a publish in this process
  (``offer``). The next position goes out at once; one from further on waits in
  ``held`` while the missing ones are still on their way from another publisher,
  for at most ``GAP_GRACE`` ms, after which the log fills the gap.
- the log itself, read after the cursor: every ``LOG_CHECK_INTERVAL`` with a
  working layer; every ``BRIDGE_POLL_INTERVAL``, and at once when woken
  (realtime/wake.py), when the log is the only path between processes (the
  embedded mode) or the layer stopped carrying messages (Redis down).

What the log returns is authoritative: a position it skips will never appear, so
the cursor moves past it. A position at or below the cursor is a duplicate and is
dropped. So a lost publish, a Redis restart or a publisher that died after its
commit makes an event late, never lost, and never twice.

Server processes also number outbox rows whose writer died between its commit and
its own ``sequence()``, once they have waited ``STRAGGLER_AGE`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from channels.db import database_sync_to_async
from django.db.models import Max

from . import stats, wake
from .conf import setting
from .hub import hub
from .messages import Message
from .models import UNTARGETED, Event
from .process import LoopTask
from .recent import recent
from .retention import pruner
from .sequencer import sequence, stragglers

logger = logging.getLogger("realtime.follower")

BATCH = 500
# Seconds between two reads of the log, however often publishers wake us.
MIN_GAP = 0.002
# Seconds an outbox row may wait for its writer before a server numbers it.
STRAGGLER_AGE = 2.0
# Events held for a gap, at most; past that the log has them anyway.
HELD_MAX = 10_000


@database_sync_to_async
def _start() -> tuple[int, list[Message], int]:
    """Where the log stands, its newest events for resumes (realtime/recent.py), and
    the position after which those are all of them."""
    from .publish import event_message

    cursor = Event.objects.aggregate(m=Max("id"))["m"] or 0
    size = setting("REPLAY_MEMORY")
    rows = list(Event.objects.filter(UNTARGETED, id__lte=cursor).order_by("-id")[:size])
    rows.reverse()
    if len(rows) < size:
        complete_after = 0  # the whole log (what retention pruned, the watermark says)
    else:
        complete_after = rows[0].pk - 1 if rows else cursor
    return cursor, [event_message(row) for row in rows], complete_after


@database_sync_to_async
def _after(cursor: int) -> list[Event]:
    return list(Event.objects.filter(id__gt=cursor).order_by("id")[:BATCH])


@database_sync_to_async
def _sequence_stragglers() -> list[Event]:
    return sequence() if stragglers(STRAGGLER_AGE) else []


class Follower:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.cursor = 0
        self.held: dict[int, Message] = {}
        self.loaded = asyncio.Event()
        self.woken = asyncio.Event()
        self.gap_timer: asyncio.TimerHandle | None = None
        self.task = LoopTask("realtime-follower", self._run)

    def ensure_running(self) -> None:
        """Start on the running loop, once per process (and per loop in tests), with the
        process's automatic event log retention (realtime/retention.py)."""
        loop = asyncio.get_running_loop()
        if self.loop is not loop:
            self.loop, self.cursor, self.held, self.gap_timer = loop, 0, {}, None
            self.loaded, self.woken = asyncio.Event(), asyncio.Event()
            recent.stop()
        hub.ensure()
        self.task.ensure()
        pruner.ensure_running()

    def running_here(self) -> bool:
        return self.task.running_here()

    def active(self) -> bool:
        """Running in this process, on whichever loop serves its sockets."""
        return self.task.active()

    async def ready(self) -> int:
        """The cursor, once the follower knows where the log stood when it started."""
        self.ensure_running()
        await self.loaded.wait()
        return self.cursor

    def poke(self) -> None:
        """Read the log now."""
        self.woken.set()

    def offer(self, message: Message) -> None:
        """An event from the fast path: out now if it is the next one, else held."""
        position = message.id
        if self.loaded.is_set() and position <= self.cursor:
            stats.incr("log.duplicates")
            return
        if self.loaded.is_set() and position == self.cursor + 1:
            self._hand(message)
            self._release_held()
            return
        if len(self.held) < HELD_MAX:
            self.held[position] = message
        if self.gap_timer is None and self.loop is not None:
            self.gap_timer = self.loop.call_later(setting("GAP_GRACE") / 1000, self.poke)

    def _hand(self, message: Message) -> None:
        self.cursor = message.id
        recent.record(message)
        hub.dispatch_event(message)

    def _release_held(self) -> None:
        """Send the held events that are next now; forget those already passed."""
        while (message := self.held.pop(self.cursor + 1, None)) is not None:
            self._hand(message)
        if self.held and min(self.held) <= self.cursor:
            self.held = {p: m for p, m in self.held.items() if p > self.cursor}
        if not self.held and self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None

    async def read_log(self) -> None:
        """Hand over everything the log has after the cursor, in order."""
        from .publish import event_message

        if self.gap_timer is not None:
            self.gap_timer.cancel()
            self.gap_timer = None
        while True:
            try:
                rows = await _after(self.cursor)
            except Exception:
                logger.exception("event log read failed")
                return
            for row in rows:
                if row.id <= self.cursor:
                    continue  # delivered by the fast path meanwhile
                message = self.held.pop(row.id, None)
                if message is None:
                    message = event_message(row)
                    if hub.remote:
                        stats.incr("log.filled")
                self._hand(message)
            self._release_held()
            if len(rows) < BATCH:
                break
        if self.held and self.gap_timer is None and self.loop is not None:
            self.gap_timer = self.loop.call_later(setting("GAP_GRACE") / 1000, self.poke)

    def interval(self) -> float:
        """Seconds between reads: short when the log is the only path, or the layer is down."""
        if setting("EVENT_LOG_BRIDGE") or not hub.layer_ok:
            return setting("BRIDGE_POLL_INTERVAL")
        return setting("LOG_CHECK_INTERVAL")

    async def _run(self) -> None:
        while not self.loaded.is_set():
            try:
                cursor, newest, complete_after = await _start()
            except Exception:
                logger.exception("event log unavailable; retrying")
                await asyncio.sleep(1)
                continue
            self.cursor = cursor
            recent.start(complete_after, newest)
            self.loaded.set()
        self._release_held()
        listening = setting("EVENT_LOG_BRIDGE") and wake.listen(self.woken)
        next_straggler_check = time.monotonic() + STRAGGLER_AGE
        try:
            while True:
                self.woken.clear()
                await self.read_log()
                if time.monotonic() >= next_straggler_check:
                    next_straggler_check = time.monotonic() + STRAGGLER_AGE
                    await self._number_stragglers()
                # Bounded: a flood of wake-ups costs at most one read per MIN_GAP.
                await asyncio.sleep(MIN_GAP)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.woken.wait(), self.interval())
        finally:
            if listening:
                wake.stop_listening()

    async def _number_stragglers(self) -> None:
        from .publish import apublish

        try:
            events = await _sequence_stragglers()
        except Exception:
            logger.exception("numbering waiting outbox rows failed")
            return
        if events:
            logger.warning("numbered %d outbox rows whose writer did not", len(events))
            await apublish(events)


follower = Follower()


def ensure_running() -> None:
    follower.ensure_running()
