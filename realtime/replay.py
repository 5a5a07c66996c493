"""Resume reads: the events of a namespace after a position, on threads of their own.

Every other database call of a socket runs on the one thread Channels gives
``database_sync_to_async``, so a slow replay would hold every handshake and
``auth`` of the process behind it. Replays run on a small pool of their own
(``REPLAY_THREADS``), each bounded by ``MAX_REPLAY`` rows and served by the
partial indexes on the event log (``realtime_ev_replay``, ``realtime_ev_replay_owner``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.db import close_old_connections
from django.db.models import QuerySet

from .conf import setting
from .models import UNTARGETED, Event
from .retention import pruned_through

_pool: ThreadPoolExecutor | None = None


def replay_query(namespace: str, since: int, owner: int | None) -> QuerySet[Event]:
    """The rows a resume reads: namespace events after ``since`` (one owner's, if given)."""
    events = Event.objects.filter(UNTARGETED, namespace=namespace, id__gt=since)
    if owner is not None:
        events = events.filter(owner_id=owner)
    return events.order_by("id")


def _read(namespace: str, since: int, owner: int | None, cursor: int) -> list[Event] | None:
    close_old_connections()
    try:
        if since < pruned_through():
            return None
        if since > cursor and not Event.objects.filter(id__gte=since).exists():
            return None  # a position the log never had: it was replaced or restored
        limit = setting("MAX_REPLAY")
        rows = list(replay_query(namespace, since, owner)[: limit + 1])
        return None if len(rows) > limit else rows
    finally:
        close_old_connections()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(setting("REPLAY_THREADS"), "realtime-replay")
    return _pool


async def events_after(namespace: str, since: int, owner: int | None,
                       cursor: int) -> list[Event] | None:
    """Events of a namespace after ``since`` a socket may see, or None if not all are kept.

    ``cursor`` is where the follower stands: a ``since`` past it must at least be a
    position the log has (a client that saw it on a process further ahead).
    """
    return await sync_to_async(_read, thread_sensitive=False, executor=_executor())(
        namespace, since, owner, cursor)
