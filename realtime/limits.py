"""Limits that keep one client from hurting the others.

Rate limit (a token bucket per socket), connection caps (per process and per
client IP, the latter shared through Redis when it is configured), and the
heartbeat: one sweeper task per process pings every socket and closes those
that did not answer, instead of one timer per socket.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .conf import setting
from .protocol import CloseCode

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
        """The client kept going past the limit: time to close with 1008."""
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
        self.per_ip: Counter[str] = Counter()
        self._sweeper: asyncio.Task | None = None

    def __len__(self) -> int:
        return len(self.sockets)

    def add(self, consumer: RealtimeConsumer) -> None:
        self.sockets.add(consumer)
        self.per_ip[consumer.client_ip] += 1
        self.ensure_sweeper()

    def discard(self, consumer: RealtimeConsumer) -> None:
        if consumer in self.sockets:
            self.sockets.discard(consumer)
            self.per_ip[consumer.client_ip] -= 1
            if self.per_ip[consumer.client_ip] <= 0:
                del self.per_ip[consumer.client_ip]

    def ensure_sweeper(self) -> None:
        loop = asyncio.get_running_loop()
        if self._sweeper is None or self._sweeper.done() or self._sweeper.get_loop() is not loop:
            self._sweeper = loop.create_task(self.sweep_forever(), name="realtime-heartbeat")

    async def sweep_forever(self) -> None:
        """Ping every socket each interval; close those that gave no pong within the timeout."""
        while True:
            interval = setting("PING_INTERVAL") / 1000
            timeout = setting("PONG_TIMEOUT") / 1000
            await asyncio.sleep(max(interval - timeout, 0.01))
            pinged = list(self.sockets)
            for consumer in pinged:
                await consumer.send_ping()
            await ip_counter.refresh(pinged)
            await asyncio.sleep(timeout)
            for consumer in pinged:
                if consumer.awaiting_pong and consumer in self.sockets:
                    await consumer.terminate(CloseCode.HEARTBEAT_TIMEOUT, "no pong in time")


registry = Registry()


class IpCounter:
    """Sockets per client IP across every server process.

    With Redis each IP is a sorted set of connection ids scored by an expiry
    that the owning process refreshes, so a process that dies drops out by
    itself; without Redis the count is this process's own.
    """

    def __init__(self) -> None:
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def _redis(self) -> Any:
        url = getattr(settings, "REDIS_URL", "")
        if not url:
            return None
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            self._clients[loop] = client
        return client

    @property
    def ttl(self) -> int:
        """Long enough to outlive a few heartbeat sweeps, which refresh it."""
        return max(60, 3 * setting("PING_INTERVAL") // 1000)

    def _key(self, ip: str) -> str:
        return f"{setting('GROUP_PREFIX')}:ip:{ip}"

    async def acquire(self, ip: str, connection_id: str) -> int:
        """Count a socket; returns how many this IP now has (this one included)."""
        client = self._redis()
        if client is None:
            return registry.per_ip[ip] + 1
        now = time.time()
        key = self._key(ip)
        try:
            async with client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, 0, now)
                pipe.zadd(key, {connection_id: now + self.ttl})
                pipe.expire(key, self.ttl)
                pipe.zcard(key)
                *_, count = await pipe.execute()
            return int(count)
        except Exception:
            logger.warning("per-IP count unavailable in Redis; counting this process only",
                           exc_info=True)
            return registry.per_ip[ip] + 1

    async def release(self, ip: str, connection_id: str) -> None:
        client = self._redis()
        if client is None:
            return
        try:
            await client.zrem(self._key(ip), connection_id)
        except Exception:
            logger.warning("per-IP release failed in Redis", exc_info=True)

    async def refresh(self, sockets: list[RealtimeConsumer]) -> None:
        """Push the expiry of this process's sockets forward (called by the sweeper)."""
        client = self._redis()
        if client is None or not sockets:
            return
        expires = time.time() + self.ttl
        try:
            async with client.pipeline(transaction=False) as pipe:
                for consumer in sockets:
                    key = self._key(consumer.client_ip)
                    pipe.zadd(key, {consumer.connection_id: expires}, xx=True)
                    pipe.expire(key, self.ttl)
                await pipe.execute()
        except Exception:
            logger.warning("per-IP refresh failed in Redis", exc_info=True)


ip_counter = IpCounter()
