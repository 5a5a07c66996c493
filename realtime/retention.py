"""Event log retention: delete old events and remember how far deletion went."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .conf import setting
from .models import Event, Watermark

PRUNED = "pruned"


def pruned_through() -> int:
    """The highest event id deleted by retention (0 if none): resumes below it reset."""
    mark = Watermark.objects.filter(name=PRUNED).values_list("value", flat=True).first()
    return mark or 0


def prune(older_than: timedelta | None = None, keep_last: int | None = None) -> int:
    """Delete events older than ``older_than`` (default: the retention setting).

    ``keep_last`` keeps at least that many newest events whatever their age.
    Returns how many were deleted.
    """
    if older_than is None:
        older_than = timedelta(days=setting("EVENT_RETENTION_DAYS"))
    cutoff = timezone.now() - older_than
    with transaction.atomic():
        doomed = Event.objects.filter(created_at__lt=cutoff)
        if keep_last:
            newest = list(Event.objects.order_by("-id").values_list("id", flat=True)[:keep_last])
            if newest:
                doomed = doomed.filter(id__lt=newest[-1])
        through = doomed.aggregate(m=Max("id"))["m"]
        if through is None:
            return 0
        # Everything up to the newest doomed id goes, so the log stays a suffix.
        deleted, _ = Event.objects.filter(id__lte=through).delete()
        mark, _ = Watermark.objects.select_for_update().get_or_create(name=PRUNED)
        mark.value = max(mark.value, through)
        mark.save(update_fields=["value"])
    return deleted
