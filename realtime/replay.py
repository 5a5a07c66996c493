"""Resume reads: the events of a namespace after a position.

Most resumes are for the last few events, which the process keeps encoded in
memory (realtime/recent.py); only the retention watermark is read then, once for
every resume that asked while the previous read was running (realtime/batching.py).
The rest read the log. Every other database call of a socket runs on the one thread Channels gives
``database_sync_to_async``, so a slow replay would hold every handshake and
``auth`` of the process behind it. Replays run on a small pool of their own
(``REPLAY_THREADS``), each bounded by ``MAX_REPLAY`` rows and served by the
partial indexes on the event log (``realtime_ev_replay``, ``realtime_ev_replay_owner``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from django.db.models import QuerySet

from . import stats
from .batching import Batched
from .conf import setting
from .messages import Message
from .models import UNTARGETED, Event
from .publish import event_message
from .recent import recent
from .retention import pruned_through

T = TypeVar("T")
_pool: ThreadPoolExecutor | None = None


def replay_query(namespace: str, since: int, owner: int | None) -> QuerySet[Event]:
    """The rows a resume reads: namespace events after ``since`` (one owner's, if given).

    On PostgreSQL a namespace-wide read asks for ``namespace BETWEEN ns AND ns`` in
    ``(namespace, id)`` order: the same rows in the same order as ``namespace = ns``
    by id, but an order only ``realtime_ev_replay`` yields. With the equality the
    planner drops the constant column from the ORDER BY and prefers walking the
    primary key from ``since``, filtering out the other namespaces' rows on the
    way: after a burst of another namespace (a stock import) most of the log
    (tests/e2e/test_log_scale.py: 193,040 rows read in 25 ms instead of 1,001 in
    0.4 ms). SQLite seeks ``realtime_ev_replay`` on the equality and ``since``, but
    on a range of its first column it could not use ``since``, so it keeps the
    equality; so does a customer's read, whose index (``realtime_ev_replay_owner``)
    needs the equality to seek to the owner.
    """
    events = Event.objects.filter(UNTARGETED, id__gt=since)
    if owner is not None:
        return events.filter(namespace=namespace, owner_id=owner).order_by("id")
    if connections[events.db].vendor != "postgresql":
        return events.filter(namespace=namespace).order_by("id")
    return events.filter(namespace__range=(namespace, namespace)).order_by("namespace", "id")


def _read(namespace: str, since: int, owner: int | None, cursor: int) -> list[Event] | None:
    if since < pruned_through():
        return None
    if since > cursor and not Event.objects.filter(id__gte=since).exists():
        return None  # a position the log never had: it was replaced or restored
    limit = setting("MAX_REPLAY")
    rows = list(replay_query(namespace, since, owner)[: limit + 1])
    return None if len(rows) > limit else rows


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(setting("REPLAY_THREADS"), "realtime-replay")
    return _pool


def _with_fresh_connection(read: Callable[..., T], *args: Any) -> T:
    close_old_connections()
    try:
        return read(*args)
    finally:
        close_old_connections()


async def _on_pool(read: Callable[..., T], *args: Any) -> T:
    """``read(*args)`` on the replay pool's threads, with Django's connection cleanup."""
    return await sync_to_async(_with_fresh_connection, thread_sensitive=False,
                               executor=_executor())(read, *args)


async def _read_watermarks(asked: list[None]) -> list[int]:
    return [await _on_pool(pruned_through)] * len(asked)


# Every resume answered from memory still checks retention: one read serves all that
# asked while the previous one ran (a storm's 5,000 resumes take a few dozen reads).
_watermark: Batched[None, int] = Batched(_read_watermarks)


async def events_after(namespace: str, since: int, owner: int | None, cursor: int,
                       group: str) -> list[Message] | None:
    """Events of a namespace after ``since`` a socket of ``group`` may see, or None if
    not all are kept.

    ``cursor`` is where the follower stands, and what it has handed is in memory
    up to there. A ``since`` past it must at least be a position the log has (a
    client that saw it on a process further ahead): that, and a ``since`` older
    than memory, is read from the log.
    """
    kept = recent.after(since, namespace, group) if since <= cursor else None
    if kept is not None:
        if len(kept) > setting("MAX_REPLAY") or since < await _watermark(None):
            stats.incr("resumes.reset")
            return None
        stats.incr("resumes.memory")
        return kept
    rows = await _on_pool(_read, namespace, since, owner, cursor)
    stats.incr("resumes.reset" if rows is None else "resumes.log")
    return None if rows is None else [event_message(row) for row in rows]
