"""Event log retention: delete old events and remember how far deletion went.

The log stays a suffix: a prune deletes every event up to the newest one past the
retention, and the ``pruned`` watermark says through which position, so a resume
from below it gets ``reset`` instead of a replay with holes. Deletion goes in
batches of ``PRUNE_BATCH`` positions from the oldest, each its own short
transaction that also moves the watermark, so a large backlog never holds a long
lock and the watermark is right after every batch.

Server processes prune by themselves every ``PRUNE_INTERVAL`` seconds
(``Pruner``), one at a time across the deployment: whoever takes the
``prune_lease`` watermark (a conditional UPDATE on its expiry, which works alike
on SQLite and PostgreSQL) prunes, the others skip that round. ``manage.py
prune_events`` runs the same batched prune without the lease, for operators who
schedule it themselves (``PRUNE_INTERVAL = "external"``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from math import inf
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, transaction
from django.db.models import Min
from django.utils import timezone

from . import tokens
from .conf import setting
from .models import Event, Watermark
from .process import LoopTask

logger = logging.getLogger("realtime.retention")

PRUNED = "pruned"
LEASE = "prune_lease"
# Positions deleted per transaction, at most.
PRUNE_BATCH = 10_000
# Seconds after a server process starts before its first attempt (PRUNE_INTERVAL if
# shorter): a deployment restarted more often than every PRUNE_INTERVAL still prunes.
FIRST_ATTEMPT = 60.0
# The lease lasts this share of PRUNE_INTERVAL, so the process that held it last
# round finds it expired on its next attempt even if its timer fires a little early.
LEASE_SHARE = 0.9


def pruned_through() -> int:
    """The highest event id deleted by retention (0 if none): resumes below it reset."""
    mark = Watermark.objects.filter(name=PRUNED).values_list("value", flat=True).first()
    return mark or 0


def prune_target(older_than: timedelta | None = None, keep_last: int | None = None) -> int | None:
    """The position through which a prune deletes, or None if nothing is old enough.

    ``older_than`` defaults to the retention setting; ``keep_last`` keeps at least
    that many newest events whatever their age.
    """
    if older_than is None:
        older_than = timedelta(days=setting("EVENT_RETENTION_DAYS"))
    doomed = Event.objects.filter(created_at__lt=timezone.now() - older_than)
    if keep_last:
        newest = list(Event.objects.order_by("-id").values_list("id", flat=True)
                      [keep_last - 1:keep_last])
        if not newest:
            return None  # fewer than keep_last events in all
        doomed = doomed.filter(id__lt=newest[0])
    # The position of the newest old event, found by the created_at index. Not
    # Max("id"): PostgreSQL would walk the primary key back from the newest event
    # through every event still kept (tests/e2e/test_log_scale.py). An old event
    # numbered after it (sequenced late) goes in the next round.
    return doomed.order_by("-created_at", "-id").values_list("id", flat=True).first()


def prune_batch(through: int, batch: int = PRUNE_BATCH, lease: Lease | None = None,
                after: int = 0) -> tuple[int, int]:
    """Delete the oldest events after ``after``, at most ``batch`` positions of them
    and none past ``through``, and move the ``pruned`` watermark, in one transaction.

    Returns how many were deleted and the position deleted through: ``through`` once
    nothing is left, the ``after`` of the next batch otherwise. Seeking from
    ``after`` skips the rows earlier batches deleted, which PostgreSQL's index
    still lists until VACUUM. With a ``lease``, the batch runs only while the lease
    is still the caller's, and renews it; else it deletes nothing and returns
    ``through``, so the caller stops.
    """
    with transaction.atomic():
        if lease is not None and not lease.renew():
            return 0, through
        oldest = Event.objects.filter(id__gt=after).aggregate(m=Min("id"))["m"]
        if oldest is None or oldest > through:
            return 0, through
        upto = min(oldest + batch - 1, through)
        deleted, _ = Event.objects.filter(id__gte=oldest, id__lte=upto).delete()
        mark, _ = Watermark.objects.select_for_update().get_or_create(name=PRUNED)
        if upto > mark.value:
            mark.value = upto
            mark.save(update_fields=["value"])
    return deleted, upto


def prune(older_than: timedelta | None = None, keep_last: int | None = None,
          batch: int = PRUNE_BATCH, progress: Callable[[int], None] | None = None,
          through: int | None = None) -> int:
    """Delete events older than ``older_than`` (default: the retention setting).

    ``keep_last`` keeps at least that many newest events whatever their age. Runs
    in batches of ``batch`` positions; ``progress`` is called with the running
    total after each batch that deleted something. ``through``: a target
    ``prune_target`` gave already (``prune_events`` counts its events first, for
    its percentage), instead of the one from ``older_than`` and ``keep_last``.
    Returns how many were deleted.
    """
    if through is None:
        through = prune_target(older_than, keep_last)
    if through is None:
        return 0
    total = done = 0
    while done < through:
        deleted, done = prune_batch(through, batch, after=done)
        total += deleted
        if deleted and progress is not None:
            progress(total)
    return total


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class Lease:
    """The deployment-wide prune lease, held until ``expiry`` (epoch milliseconds).

    The expiry is also the holder's token: only a process that knows the value in
    the ``prune_lease`` row can renew it.
    """

    expiry: int
    seconds: float

    def renew(self) -> bool:
        """Push the expiry ``seconds`` past now again, if the lease is still ours."""
        expiry = max(self.expiry + 1, _now_ms() + round(self.seconds * 1000))
        if not Watermark.objects.filter(name=LEASE, value=self.expiry).update(value=expiry):
            return False
        self.expiry = expiry
        return True


def take_lease(seconds: float, now_ms: int | None = None) -> Lease | None:
    """Take the prune lease for ``seconds`` if nobody holds it; None if somebody does.

    The ``prune_lease`` watermark's value is the lease's expiry in epoch
    milliseconds. An UPDATE conditional on it having passed changes the row for
    exactly one of any number of contenders, on SQLite (one writer at a time) as on
    PostgreSQL (the second UPDATE waits for the first and re-checks the condition).
    """
    now = _now_ms() if now_ms is None else now_ms
    expiry = now + max(1, round(seconds * 1000))
    if not Watermark.objects.filter(name=LEASE, value__lt=now).update(value=expiry):
        _, created = Watermark.objects.get_or_create(name=LEASE, defaults={"value": expiry})
        if not created:
            return None
    return Lease(expiry, seconds)


def prune_interval() -> float | None:
    """PRUNE_INTERVAL in seconds if server processes prune, else None: the operator
    schedules ``prune_events`` ("external"), retention is off (None), or the value
    is bad (``manage.py check`` reports it)."""
    value = setting("PRUNE_INTERVAL")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < inf:
        return None
    return float(value)


_pool: ThreadPoolExecutor | None = None


def _executor() -> ThreadPoolExecutor:
    """One thread of its own: a long prune never holds Channels' database thread
    (every handshake and ``auth``) or the replay pool (every resume)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(1, "realtime-prune")
    return _pool


def _off_loop(function: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    def run(*args: Any) -> Any:
        close_old_connections()
        try:
            return function(*args)
        finally:
            close_old_connections()

    return sync_to_async(run, thread_sensitive=False, executor=_executor())


class Pruner:
    """Automatic retention in a server process: every PRUNE_INTERVAL, one round."""

    def __init__(self) -> None:
        self.task = LoopTask("realtime-prune", self._run)
        self.rounds = 0

    def ensure_running(self) -> None:
        """Start on the running loop if server processes prune (PRUNE_INTERVAL a number)."""
        if prune_interval() is not None:
            self.task.ensure()

    async def run_once(self) -> int | None:
        """One round: take the lease, then prune batch by batch while it stays ours.

        How many were deleted, or None if another process holds the lease or the
        round failed (logged; the next round tries again). Each batch is a call of
        its own on the prune thread, so a stopping server waits for one batch at most.
        """
        interval = prune_interval()
        if interval is None:
            return None
        try:
            lease = await _off_loop(take_lease)(interval * LEASE_SHARE)
            if lease is None:
                return None
            through = await _off_loop(prune_target)()
            total = done = 0
            while through is not None and done < through:
                deleted, done = await _off_loop(prune_batch)(through, PRUNE_BATCH, lease, done)
                total += deleted
            await _off_loop(tokens.prune_expired)()
        except Exception:
            logger.exception("event log retention failed; trying again in PRUNE_INTERVAL")
            return None
        finally:
            self.rounds += 1
        logger.info("event log retention: pruned %d events older than %g days",
                    total, setting("EVENT_RETENTION_DAYS"))
        return total

    async def _run(self) -> None:
        interval = prune_interval()
        if interval is None:
            return
        await asyncio.sleep(min(FIRST_ATTEMPT, interval))
        while (interval := prune_interval()) is not None:
            await self.run_once()
            await asyncio.sleep(interval)


pruner = Pruner()
