"""Limits that keep one client from hurting the others.

Rate limit (a token bucket per socket), the registry of this process's sockets
for the connection cap, and the heartbeat: one sweeper task per process pings every socket and closes those
that did not answer, instead of one timer per socket; every ``REVALIDATE_INTERVAL`` the
sweep also re-checks every socket's credential, in one batch. A second small task per
process beats its liveness into Redis every ``PROCESS_HEARTBEAT`` seconds and reaps
the processes that stopped beating (realtime.shared). With ``IDLE_TIMEOUT`` set, a
third closes the sockets that made no successful ``auth`` or ``subscribe`` in time.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async

from . import credentials, presence, shared
from .conf import setting
from .process import LoopTask
from .protocol import CloseCode
from .shared import ip_sockets

if TYPE_CHECKING:
    from .consumers import RealtimeConsumer

logger = logging.getLogger("realtime.limits")


class TokenBucket:
    """``rate`` tokens per ``per`` seconds, holding at most ``burst``.

    Rejected frames fill a second bucket of strikes that drains at the same
    rate: a client that keeps sending past the limit (``close_after`` strikes
    within the window) is closed, one that backs off is forgiven.
    """

    __slots__ = ("rate", "burst", "tokens", "strikes", "close_after", "stamp")

    def __init__(self, rate: int, per: float, burst: int, close_after: int) -> None:
        self.rate = rate / per
        self.burst = float(burst)
        self.tokens = float(burst)
        self.strikes = 0.0
        self.close_after = close_after
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        elapsed = now - self.stamp
        self.stamp = now
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.strikes = max(0.0, self.strikes - elapsed * self.rate)

    def take(self) -> bool:
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.strikes += 1
        return False

    @property
    def exhausted(self) -> bool:
        """The client kept going past the limit: time to close with 4008."""
        return self.strikes >= self.close_after

    def retry_after_ms(self) -> int:
        return max(1, int((1 - self.tokens) / self.rate * 1000))


def new_bucket() -> TokenBucket:
    rate = setting("RATE_LIMIT")
    return TokenBucket(rate, 60.0, setting("RATE_LIMIT_BURST"),
                       setting("RATE_LIMIT_CLOSE_AFTER") or rate)


class Registry:
    """The open sockets of this process, the per-IP counts, and the heartbeat sweeper."""

    def __init__(self) -> None:
        self.sockets: set[RealtimeConsumer] = set()
        # Sockets without a successful auth or subscribe yet, in connection order, with
        # the monotonic time by which they must have made one (IDLE_TIMEOUT).
        self.idle: dict[RealtimeConsumer, float] = {}
        self.closed_since_collect = 0
        self.revalidate_at = 0.0
        self._sweeper = LoopTask("realtime-heartbeat", self.sweep_forever)
        self._beater = LoopTask("realtime-liveness", self.beat_forever)
        self._idler = LoopTask("realtime-idle", self.close_idle_forever)

    def __len__(self) -> int:
        return len(self.sockets)

    def add(self, consumer: RealtimeConsumer) -> None:
        self.sockets.add(consumer)
        timeout = setting("IDLE_TIMEOUT")
        if timeout is not None:
            self.idle[consumer] = time.monotonic() + timeout
        self.ensure_sweeper()

    def engaged(self, consumer: RealtimeConsumer) -> None:
        """The socket's ``auth`` or ``subscribe`` succeeded: it is not idle."""
        self.idle.pop(consumer, None)

    def discard(self, consumer: RealtimeConsumer) -> None:
        self.idle.pop(consumer, None)
        if consumer not in self.sockets:
            return
        self.sockets.discard(consumer)
        self.closed_since_collect += 1
        if self.closed_since_collect >= setting("GC_COLLECT_AFTER_CLOSES"):
            # A closed socket leaves reference cycles behind in the oldest generation,
            # which the raised GC threshold (realtime.server) rarely collects: after
            # enough closes, collect them, so churn does not grow memory.
            self.closed_since_collect = 0
            gc.collect()

    def ensure_sweeper(self) -> None:
        """Start this loop's heartbeat sweeper and liveness beat, unless they are running."""
        self._sweeper.ensure()
        self._beater.ensure()
        if self.idle:
            self._idler.ensure()

    async def beat_forever(self) -> None:
        """Beat this process's liveness every ``PROCESS_HEARTBEAT``, then reap dead processes.

        A task of its own rather than part of the sweep: the sweep runs every
        ``PING_INTERVAL`` (30 s), and a dead process's sockets must stop counting
        against the per-IP cap, and its customers go offline, within seconds.
        """
        while True:
            try:
                await shared.beat()
                await ip_sockets.reap()
                await presence.reap()
            except Exception:
                logger.warning("liveness beat failed", exc_info=True)
            await asyncio.sleep(setting("PROCESS_HEARTBEAT"))

    async def sweep_forever(self) -> None:
        """Ping every socket each interval; close those that gave no pong within the timeout."""
        while True:
            interval = setting("PING_INTERVAL") / 1000
            timeout = setting("PONG_TIMEOUT") / 1000
            await asyncio.sleep(max(interval - timeout, 0.01))
            pinged = list(self.sockets)
            stamp = int(time.time() * 1000)  # one timestamp for the whole sweep
            for consumer in pinged:
                await consumer.send_ping(stamp)
            await asyncio.sleep(timeout)
            for consumer in pinged:
                if consumer.awaiting_pong and consumer in self.sockets:
                    await consumer.terminate(CloseCode.HEARTBEAT_TIMEOUT, "no pong in time")
            if time.monotonic() >= self.revalidate_at:
                self.revalidate_at = time.monotonic() + setting("REVALIDATE_INTERVAL")
                await self.revalidate()

    async def revalidate(self) -> None:
        """Close the sockets whose credential no longer holds, found by a few batched
        queries for the whole process (realtime/credentials.py): what no signal sees,
        such as ``QuerySet.update(is_active=False)`` or a password set in SQL."""
        bound = [c for c in self.sockets if c.credential is not None and not c.closed]
        if not bound:
            return
        try:
            ended = await database_sync_to_async(credentials.broken)(
                {c.credential for c in bound})
        except Exception:
            logger.warning("credential revalidation failed", exc_info=True)
            return
        for consumer in bound:
            reason = ended.get(consumer.credential)
            if reason is not None and consumer in self.sockets:
                await consumer.credential_ended(reason)

    async def close_idle_forever(self) -> None:
        """Close the sockets that made no successful ``auth`` or ``subscribe`` within
        ``IDLE_TIMEOUT``: a socket that only holds a slot (and answers pings) counts
        against the connection caps like a working one.

        One task per process, like the heartbeat sweeper, rather than a timer per socket:
        the sockets wait in connection order, so a round looks only at those past their
        time and stops at the first that is not. Rounds are a quarter of the timeout
        apart, at most a second: a socket goes at most that late.
        """
        while True:
            timeout = setting("IDLE_TIMEOUT")
            await asyncio.sleep(min(timeout / 4, 1.0) if timeout else 1.0)
            now = time.monotonic()
            due = []
            for consumer, deadline in self.idle.items():
                if deadline > now:
                    break
                due.append(consumer)
            for consumer in due:
                self.idle.pop(consumer, None)
                if consumer in self.sockets:
                    await consumer.close_idle()


registry = Registry()
