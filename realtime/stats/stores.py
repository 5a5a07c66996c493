"""The shared store of the processes' snapshots: Redis keys with a TTL, or ``ProcessStats`` rows.

Each serving process writes its snapshot here every ``STATS_INTERVAL``; every reader
sees the whole deployment. A snapshot counts as live for ``ttl()`` seconds, so a
process that dies (even ``kill -9``) drops out within it.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from ..conf import setting


def ttl() -> float:
    """Seconds a snapshot counts as live: five publishing intervals."""
    return 5 * setting("STATS_INTERVAL")


def _prefix() -> str:
    return f"{setting('GROUP_PREFIX')}:stats"


class RedisStore:
    """One key per process (``<GROUP_PREFIX>:stats:<origin>``, expiring after the TTL),
    and a sorted set of the origins so readers need no SCAN."""

    backend = "redis"
    _sync_clients: dict[str, Any] = {}
    _async_clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def __init__(self, url: str) -> None:
        self.url = url

    def _index(self) -> str:
        return f"{_prefix()}:processes"

    def _key(self, origin: str) -> str:
        return f"{_prefix()}:{origin}"

    def _sync(self) -> Any:
        client = self._sync_clients.get(self.url)
        if client is None:
            import redis

            client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
            self._sync_clients[self.url] = client
        return client

    def _async(self) -> Any:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            import redis.asyncio as aioredis

            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2,
                                             socket_timeout=2)
            self._async_clients[loop] = client
        return client

    async def awrite(self, snap: dict[str, Any]) -> None:
        now, millis = time.time(), int(ttl() * 1000)
        async with self._async().pipeline(transaction=False) as pipe:
            pipe.set(self._key(snap["origin"]), json.dumps(snap), px=millis)
            pipe.zadd(self._index(), {snap["origin"]: now + ttl()})
            pipe.zremrangebyscore(self._index(), "-inf", now)
            pipe.pexpire(self._index(), millis)
            await pipe.execute()

    def read(self) -> list[dict[str, Any]]:
        client = self._sync()
        origins = [o.decode() for o in client.zrange(self._index(), 0, -1)]
        if not origins:
            return []
        return [json.loads(raw) for raw in client.mget([self._key(o) for o in origins]) if raw]

    def delete(self, origin: str) -> None:
        client = self._sync()
        client.delete(self._key(origin))
        client.zrem(self._index(), origin)

    def add_external(self, counts: dict[str, int]) -> None:
        with self._sync().pipeline(transaction=False) as pipe:
            for name, n in counts.items():
                pipe.hincrby(f"{_prefix()}:external", name, n)
            pipe.execute()

    def read_external(self) -> dict[str, int]:
        raw = self._sync().hgetall(f"{_prefix()}:external")
        return {name.decode(): int(n) for name, n in raw.items()}


class DatabaseStore:
    """One ``ProcessStats`` row per process, upserted; rows older than the TTL are
    ignored by readers and deleted by writers after an hour."""

    backend = "database"
    PURGE_AFTER = timedelta(hours=1)

    def __init__(self) -> None:
        self.writes = 0

    def write(self, snap: dict[str, Any]) -> None:
        from ..models import ProcessStats

        now = datetime.fromtimestamp(snap["updatedAt"], UTC)
        ProcessStats.objects.bulk_create(
            [ProcessStats(origin=snap["origin"], pid=snap["pid"], host=snap["host"],
                          updated_at=now, snapshot=snap)],
            update_conflicts=True, unique_fields=["origin"],
            update_fields=["pid", "host", "updated_at", "snapshot"])
        if self.writes % 60 == 0:
            ProcessStats.objects.filter(updated_at__lt=now - self.PURGE_AFTER).delete()
        self.writes += 1

    async def awrite(self, snap: dict[str, Any]) -> None:
        # Not the thread-sensitive executor the consumers' queries share: a write
        # waiting on a busy SQLite file must not hold them up.
        await asyncio.get_running_loop().run_in_executor(None, self._write_closing, snap)

    def _write_closing(self, snap: dict[str, Any]) -> None:
        from django.db import close_old_connections

        close_old_connections()
        try:
            self.write(snap)
        finally:
            close_old_connections()

    def read(self) -> list[dict[str, Any]]:
        from ..models import ProcessStats

        fresh = datetime.now(UTC) - timedelta(seconds=ttl())
        return [row.snapshot for row in ProcessStats.objects.filter(updated_at__gte=fresh)]

    def delete(self, origin: str) -> None:
        from ..models import ProcessStats

        ProcessStats.objects.filter(origin=origin).delete()

    def read_external(self) -> dict[str, int]:
        """Nothing: without Redis, the server's event-log bridge counts other processes'
        events as it relays them."""
        return {}


def store() -> RedisStore | DatabaseStore:
    """Redis when ``REDIS_URL`` is set, the database otherwise."""
    url = getattr(settings, "REDIS_URL", "")
    return RedisStore(url) if url else DatabaseStore()
