"""Sets of open sockets shared by every server process: per-IP counts and presence.

With Redis each set is a sorted set of connection ids scored by an expiry that
the owning process pushes forward on every heartbeat sweep, so the sockets of a
process that dies drop out by themselves (``reap`` finds the sets that emptied
that way). Without Redis there is one process, and the sets are its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from typing import Any

from django.conf import settings

from .conf import setting

logger = logging.getLogger("realtime.shared")

_clients: dict[asyncio.AbstractEventLoop, Any] = {}


def redis_client() -> Any:
    """This loop's asyncio Redis client, or None in the embedded mode."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        import redis.asyncio as aioredis

        # A bounded pool that waits for a free connection rather than opening more.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=setting("REDIS_POOL_SIZE"), timeout=5,
            socket_connect_timeout=2, socket_timeout=2)
        client = aioredis.Redis(connection_pool=pool)
        _clients[loop] = client
    return client


class SharedSets:
    """Named sets of connection ids, e.g. ``ip`` → {"127.0.0.1": {conn ids}}."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.local: defaultdict[str, set[str]] = defaultdict(set)

    def _key(self, name: str) -> str:
        return f"{setting('GROUP_PREFIX')}:{self.kind}:{name}"

    @property
    def _index(self) -> str:
        return f"{setting('GROUP_PREFIX')}:{self.kind}:names"

    @staticmethod
    def ttl() -> float:
        return setting("PRESENCE_TTL")

    async def add(self, name: str, member: str) -> int:
        """Add a member; the set's size afterwards, across processes."""
        self.local[name].add(member)
        client = redis_client()
        if client is None:
            return len(self.local[name])
        now = time.time()
        key = self._key(name)
        try:
            async with client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(key, 0, now)
                pipe.zadd(key, {member: now + self.ttl()})
                pipe.expire(key, int(self.ttl()) + 1)
                pipe.sadd(self._index, name)
                pipe.zcard(key)
                *_, size = await pipe.execute()
            return int(size)
        except Exception:
            logger.warning("shared %s set unavailable in Redis; counting this process only",
                           self.kind, exc_info=True)
            return len(self.local[name])

    async def remove(self, name: str, member: str) -> int:
        """Remove a member; the set's size afterwards, across processes.

        The member leaves this process's own record only once Redis has answered: a
        removal cut short by a shutdown (Daphne cancels the application half-way)
        leaves it there for ``forget_local`` to finish.
        """
        client = redis_client()
        if client is None:
            self._drop_local(name, member)
            return len(self.local.get(name, ()))
        key = self._key(name)
        try:
            async with client.pipeline(transaction=True) as pipe:
                pipe.zrem(key, member)
                pipe.zremrangebyscore(key, 0, time.time())
                pipe.zcard(key)
                *_, size = await pipe.execute()
        except Exception:
            # Not refreshed any more, the entry expires after the TTL.
            self._drop_local(name, member)
            logger.warning("shared %s set release failed in Redis", self.kind, exc_info=True)
            return len(self.local.get(name, ()))
        self._drop_local(name, member)
        if not size:
            await client.srem(self._index, name)
        return int(size)

    def _drop_local(self, name: str, member: str) -> None:
        members = self.local.get(name)
        if members is not None:
            members.discard(member)
            if not members:
                del self.local[name]

    async def size(self, name: str) -> int:
        """Live members of one set, across processes."""
        client = redis_client()
        if client is None:
            return len(self.local.get(name, ()))
        try:
            return int(await client.zcount(self._key(name), time.time(), "+inf"))
        except Exception:
            logger.warning("shared %s size unavailable in Redis", self.kind, exc_info=True)
            return len(self.local.get(name, ()))

    async def refresh(self) -> None:
        """Push this process's members' expiry forward (the heartbeat sweeper calls it)."""
        client = redis_client()
        if client is None or not self.local:
            return
        expires = time.time() + self.ttl()
        try:
            async with client.pipeline(transaction=False) as pipe:
                for name, members in self.local.items():
                    key = self._key(name)
                    pipe.zadd(key, dict.fromkeys(members, expires))
                    pipe.expire(key, int(self.ttl()) + 1)
                    pipe.sadd(self._index, name)
                await pipe.execute()
        except Exception:
            logger.warning("shared %s refresh failed in Redis", self.kind, exc_info=True)

    async def forget_local(self) -> None:
        """Remove every member this process added (it is shutting down)."""
        local, self.local = dict(self.local), defaultdict(set)
        client = redis_client()
        if client is None or not local:
            return
        try:
            async with client.pipeline(transaction=False) as pipe:
                for name, members in local.items():
                    pipe.zrem(self._key(name), *members)
                await pipe.execute()
        except Exception:
            logger.warning("shared %s forget failed in Redis", self.kind, exc_info=True)

    async def reap(self) -> list[str]:
        """Names whose last members expired (their process died) and that this call emptied."""
        client = redis_client()
        if client is None:
            return []
        emptied = []
        try:
            now = time.time()
            for raw in await client.smembers(self._index):
                name = raw.decode() if isinstance(raw, bytes) else raw
                key = self._key(name)
                async with client.pipeline(transaction=True) as pipe:
                    pipe.zremrangebyscore(key, 0, now)
                    pipe.zcard(key)
                    removed, size = await pipe.execute()
                if not size:
                    await client.srem(self._index, name)
                    if removed:
                        emptied.append(name)
        except Exception:
            logger.warning("shared %s reap failed in Redis", self.kind, exc_info=True)
        return emptied

    async def names(self) -> list[str]:
        """Every name with at least one live member, across processes."""
        client = redis_client()
        if client is None:
            return list(self.local)
        now = time.time()
        live = []
        for raw in await client.smembers(self._index):
            name = raw.decode() if isinstance(raw, bytes) else raw
            if await client.zcount(self._key(name), now, "+inf"):
                live.append(name)
        return live


ip_sockets = SharedSets("ip")
customer_sockets = SharedSets("presence")
