"""realtime.retention: batched pruning and the ``pruned`` watermark."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from realtime.conf import setting
from realtime.models import Event, PendingEvent
from realtime.replay import _read
from realtime.retention import prune, prune_batch, pruned_through
from realtime.sequencer import sequence

pytestmark = pytest.mark.django_db(transaction=True)


def log_events(count: int, *, old: bool = False) -> list[Event]:
    """``count`` numbered events in the log, past the retention if ``old``."""
    now = timezone.now()
    PendingEvent.objects.bulk_create(
        PendingEvent(namespace="products", type="product:updated", payload={"id": n},
                     origin="test", created_at=now) for n in range(count))
    events = sequence()
    assert len(events) == count
    if old:
        aged = now - timedelta(days=setting("EVENT_RETENTION_DAYS") + 1)
        Event.objects.filter(id__in=[event.id for event in events]).update(created_at=aged)
    return events


def kept_ids() -> list[int]:
    return list(Event.objects.order_by("id").values_list("id", flat=True))


def test_batches_delete_everything_old_and_move_the_watermark() -> None:
    old = log_events(7, old=True)
    new = log_events(3)
    totals: list[int] = []
    assert prune(batch=3, progress=totals.append) == 7
    assert totals == [3, 6, 7]  # three transactions, none over 3 positions
    assert kept_ids() == [event.id for event in new]
    assert pruned_through() == old[-1].id
    # A resume from before the watermark is not complete any more: reset (None).
    assert _read("products", old[-1].id - 1, None, new[-1].id) is None
    assert [e.id for e in _read("products", old[-1].id, None, new[-1].id)] == kept_ids()


def test_the_log_stays_a_suffix_and_keep_last_holds() -> None:
    first = log_events(4, old=True)
    log_events(2)  # newer, but below an old one: it goes too
    last_old = log_events(1, old=True)
    kept = log_events(3)
    assert prune(batch=2) == 7
    assert kept_ids() == [event.id for event in kept]
    assert pruned_through() == last_old[0].id
    Event.objects.update(created_at=timezone.now() - timedelta(days=30))
    assert prune(batch=2, keep_last=2) == 1
    assert kept_ids() == [event.id for event in kept[1:]]
    assert first[0].id < pruned_through() == kept[0].id


def test_a_batch_never_deletes_past_its_target() -> None:
    events = log_events(5, old=True)
    assert prune_batch(events[1].id, batch=10) == (2, events[1].id)
    assert kept_ids() == [event.id for event in events[2:]]
    assert prune_batch(events[3].id, batch=1, after=events[1].id) == (1, events[2].id)
    assert pruned_through() == events[2].id
    assert prune_batch(events[1].id) == (0, events[1].id)  # nothing left through it


def test_prune_events_prints_its_progress_and_total() -> None:
    log_events(5, old=True)
    log_events(1)
    out = StringIO()
    call_command("prune_events", "--batch-size", "2", stdout=out)
    assert out.getvalue().splitlines() == [
        "deleted 2 events so far", "deleted 4 events so far", "deleted 5 events so far",
        f"deleted 5 events older than {setting('EVENT_RETENTION_DAYS')} days"]
    assert len(kept_ids()) == 1


def test_prune_events_keeps_its_options() -> None:
    log_events(4, old=True)
    out = StringIO()
    call_command("prune_events", "--days", "30", stdout=out, verbosity=0)
    assert out.getvalue() == "deleted 0 events older than 30 days\n"
    call_command("prune_events", "--keep-last", "3", stdout=out, verbosity=0)
    assert len(kept_ids()) == 3
