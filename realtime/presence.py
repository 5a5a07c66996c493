"""Which owners are online: their open sockets, counted across processes.

An owner is an identity with a profile (the demo's customers). The namespace
that declares ``presence_payload`` (the demo's ``customers``) announces
``<prefix>:online`` when an owner's first socket opens and ``<prefix>:offline``
when their last one has been closed for ``PRESENCE_GRACE`` ms — so several tabs, sockets on several processes, and the close-and-reopen of
moving from one page to the next all count once. Each transition is announced
once cluster-wide: an "announced" flag (a Redis key, or this process's set)
is taken by whoever announces online and released by whoever announces
offline. When a process dies its sockets stop counting once it has been silent
for ``PROCESS_TTL`` seconds, and the next liveness beat of a live process
(``reap``, every ``PROCESS_HEARTBEAT``) announces the owners it left offline.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging

from channels.db import database_sync_to_async

from .conf import setting
from .events import registry
from .publish import emit
from .roles import Profile
from .shared import customer_sockets, redis_client

logger = logging.getLogger("realtime.presence")

_announced: set[int] = set()


def _key(name: str) -> str:
    return customer_sockets._key(name)


async def _claim(customer_id: int, name: str) -> bool:
    """Take the "announced online" flag; False if someone already holds it."""
    client = redis_client()
    if client is None:
        if customer_id in _announced:
            return False
        _announced.add(customer_id)
        return True
    try:
        await client.hset(_key("labels"), str(customer_id), name)
        return bool(await client.set(_key(f"announced:{customer_id}"), "1", nx=True))
    except Exception:
        # Redis down: the socket opens all the same, unannounced (the layer that would
        # carry the event is down too).
        logger.warning("presence flag unavailable in Redis", exc_info=True)
        return False


async def _release(customer_id: int) -> bool:
    """Drop the flag; True if this call dropped it (and so announces offline)."""
    client = redis_client()
    if client is None:
        if customer_id not in _announced:
            return False
        _announced.discard(customer_id)
        return True
    try:
        return bool(await client.delete(_key(f"announced:{customer_id}")))
    except Exception:
        logger.warning("presence flag release failed in Redis", exc_info=True)
        return False


async def _announce(transition: str, owner_id: int, name: str) -> None:
    """``<prefix>:online`` or ``<prefix>:offline`` of the namespace announcing presence."""
    namespace = registry.presence()
    if namespace is None or namespace.presence_payload is None:
        return
    payload = namespace.presence_payload(Profile(owner_id, name))
    await database_sync_to_async(emit)(f"{namespace.prefix}:{transition}", payload)


async def join(profile: Profile, connection_id: str) -> None:
    """Count a customer's socket; announce them online unless they already are."""
    await customer_sockets.add(str(profile.id), connection_id)
    if await _claim(profile.id, profile.name):
        await _announce("online", profile.id, profile.name)


async def leave(profile: Profile, connection_id: str) -> None:
    """Uncount a customer's socket; if it was their last, announce offline after the grace."""
    if await customer_sockets.remove(str(profile.id), connection_id):
        return
    grace = setting("PRESENCE_GRACE") / 1000
    if grace <= 0:
        await _offline(profile)
        return
    # The socket's own cleanup does not wait for the grace; a task of its own does.
    asyncio.get_running_loop().create_task(_offline(profile, after=grace),
                                           context=contextvars.Context())


async def _offline(profile: Profile, after: float = 0) -> None:
    if after:
        await asyncio.sleep(after)
        if await customer_sockets.size(str(profile.id)):
            return  # back within the grace: a page change, not a departure
    if await _release(profile.id):
        await _announce("offline", profile.id, profile.name)


async def reap() -> None:
    """Announce offline the customers whose last sockets were on a process that died."""
    client = redis_client()
    for customer_id in await customer_sockets.reap():
        if not await _release(int(customer_id)):
            continue
        name = await client.hget(_key("labels"), customer_id) if client is not None else None
        name = name.decode() if isinstance(name, bytes) else (name or "")
        await _announce("offline", int(customer_id), name)


async def online_customers() -> list[int]:
    """Ids of the customers online now, across processes."""
    return sorted(int(name) for name in await customer_sockets.names() if name.isdigit())
