"""Which customers are online: their open sockets, counted across processes.

``customer:online`` is emitted when a customer's first socket opens and
``customer:offline`` when their last one closes, so several tabs (or sockets on
several processes) count once. When a process dies its sockets expire from the
shared sets, and the next heartbeat sweep anywhere emits the missing offline.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from .publish import emit
from .roles import Profile
from .shared import customer_sockets, redis_client

_names: dict[int, str] = {}


def _labels_key() -> str:
    return customer_sockets._key("labels")


async def _announce(event_type: str, customer_id: int, name: str) -> None:
    await database_sync_to_async(emit)(event_type,
                                       {"customerId": customer_id, "customerName": name})


async def join(profile: Profile, connection_id: str) -> None:
    """Count a customer's socket; announce them online if it is their first anywhere."""
    _names[profile.id] = profile.name
    client = redis_client()
    if client is not None:
        await client.hset(_labels_key(), str(profile.id), profile.name)
    if await customer_sockets.add(str(profile.id), connection_id) == 1:
        await _announce("customer:online", profile.id, profile.name)


async def leave(profile: Profile, connection_id: str) -> None:
    """Uncount a customer's socket; announce them offline if it was their last anywhere."""
    if await customer_sockets.remove(str(profile.id), connection_id) == 0:
        await _announce("customer:offline", profile.id, profile.name)


async def reap() -> None:
    """Announce offline the customers whose last sockets were on a process that died."""
    emptied = await customer_sockets.reap()
    if not emptied:
        return
    client = redis_client()
    for customer_id in emptied:
        name = await client.hget(_labels_key(), customer_id) if client is not None else None
        name = name.decode() if isinstance(name, bytes) else (name or "")
        await _announce("customer:offline", int(customer_id), name)


async def online_customers() -> list[int]:
    """Ids of the customers online now, across processes."""
    return sorted(int(name) for name in await customer_sockets.names() if name.isdigit())
