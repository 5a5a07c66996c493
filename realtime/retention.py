"""Event log retention: delete old events and remember how far deletion went.

The log stays a suffix: a prune deletes every event up to the newest one past the
retention, and the ``pruned`` watermark says through which position, so a resume
from below it gets ``reset`` instead of a replay with holes. Deletion goes in
batches of ``PRUNE_BATCH`` positions from the oldest, each its own short
transaction that also moves the watermark, so a large backlog never holds a long
lock and the watermark is right after every batch.

``manage.py prune_events`` runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from .conf import setting
from .models import Event, Watermark

PRUNED = "pruned"
# Positions deleted per transaction, at most.
PRUNE_BATCH = 10_000


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


def prune_batch(through: int, batch: int = PRUNE_BATCH, after: int = 0) -> tuple[int, int]:
    """Delete the oldest events after ``after``, at most ``batch`` positions of them
    and none past ``through``, and move the ``pruned`` watermark, in one transaction.

    Returns how many were deleted and the position deleted through: ``through`` once
    nothing is left, the ``after`` of the next batch otherwise. Seeking from
    ``after`` skips the rows earlier batches deleted, which PostgreSQL's index
    still lists until VACUUM.
    """
    with transaction.atomic():
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
          batch: int = PRUNE_BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Delete events older than ``older_than`` (default: the retention setting).

    ``keep_last`` keeps at least that many newest events whatever their age. Runs
    in batches of ``batch`` positions; ``progress`` is called with the running
    total after each batch that deleted something. Returns how many were deleted.
    """
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
