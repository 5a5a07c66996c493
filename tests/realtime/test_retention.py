"""realtime.retention: batched pruning, the deployment-wide lease, and the server's
own retention task (the 1M-row PostgreSQL plans: tests/e2e/test_log_scale.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from realtime import retention
from realtime.conf import setting
from realtime.models import Event, PendingEvent
from realtime.replay import _read
from realtime.retention import (
    prune,
    prune_batch,
    pruned_through,
    pruner,
    take_lease,
)
from realtime.sequencer import sequence

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough for a loaded machine; only a failing test waits this long.
DEADLINE = 10.0


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


async def wait_for(condition: Callable[[], Any], what: str) -> None:
    """Poll ``condition`` (sync, run on the database thread) until true or DEADLINE."""
    check = database_sync_to_async(condition)
    deadline = time.monotonic() + DEADLINE
    while not await check():
        assert time.monotonic() < deadline, f"not within {DEADLINE} s: {what}"
        await asyncio.sleep(0.02)


@pytest.fixture
async def stop_pruner() -> AsyncIterator[None]:
    """The pruner task is stopped, and its thread idle, before the loop closes."""
    yield
    task = pruner.task.task
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    # One thread serves every prune call: a no-op through it waits for the last batch.
    await retention._off_loop(lambda: None)()


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


PRUNE_SUMMARY = re.compile(r"deleted (\d+) events older than (\S+) days and (\d+) expired "
                           r"tokens in \d+\.\d\d s")


def test_prune_events_prints_its_progress_and_total() -> None:
    log_events(5, old=True)
    log_events(1)
    out = StringIO()
    call_command("prune_events", "--batch-size", "2", stdout=out)
    *progress, summary = out.getvalue().splitlines()
    assert progress == ["deleted 2 of 5 events (40%)", "deleted 4 of 5 events (80%)",
                        "deleted 5 of 5 events (100%)"]
    assert PRUNE_SUMMARY.fullmatch(summary).groups() == (
        "5", f"{setting('EVENT_RETENTION_DAYS'):g}", "0")
    assert len(kept_ids()) == 1


def test_prune_events_summary_is_what_left_the_database() -> None:
    log_events(7, old=True)
    log_events(2)
    before = Event.objects.count()
    out = StringIO()
    call_command("prune_events", "--keep-last", "4", stdout=out, verbosity=0)
    [summary] = out.getvalue().splitlines()  # -v 0: no progress
    deleted = int(PRUNE_SUMMARY.fullmatch(summary).group(1))
    assert deleted == before - Event.objects.count() == 5


def test_prune_events_keeps_its_options() -> None:
    log_events(4, old=True)
    out = StringIO()
    call_command("prune_events", "--days", "30", stdout=out, verbosity=0)
    assert PRUNE_SUMMARY.fullmatch(out.getvalue().strip()).groups() == ("0", "30", "0")
    call_command("prune_events", "--keep-last", "3", stdout=out, verbosity=0)
    assert len(kept_ids()) == 3


def test_a_held_lease_blocks_until_it_expires() -> None:
    now = int(time.time() * 1000)
    holder = take_lease(60, now_ms=now)
    assert holder is not None
    assert take_lease(60, now_ms=now) is None
    assert take_lease(60, now_ms=now + 59_999) is None
    late = take_lease(60, now_ms=holder.expiry + 1)
    assert late is not None
    # The first holder stalled past its expiry: its next batch finds the lease gone.
    events = log_events(2, old=True)
    assert not holder.renew()
    assert prune_batch(events[-1].id, lease=holder) == (0, events[-1].id)
    assert len(kept_ids()) == 2
    taken = late.expiry
    assert prune_batch(events[-1].id, lease=late) == (2, events[-1].id)
    assert late.expiry > taken  # renewed by the batch


def test_of_two_contenders_one_takes_the_lease_and_prunes() -> None:
    """Two threads (two connections, as two server processes) race for the lease."""
    events = log_events(6, old=True)
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def contend(name: str) -> None:
        try:
            start.wait(DEADLINE)
            lease = take_lease(60)
            results[name] = None if lease is None else prune()
        except Exception as exc:  # reported by the assertion below
            results[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=contend, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    assert sorted(results.values(), key=str) == [6, None], results
    assert kept_ids() == []
    assert pruned_through() == events[-1].id


async def test_the_server_prunes_on_its_own(realtime_settings: Any, connect: Any,
                                            stop_pruner: None, monkeypatch: Any,
                                            caplog: Any) -> None:
    realtime_settings(PRUNE_INTERVAL=0.05)
    monkeypatch.setattr(retention, "PRUNE_BATCH", 2)
    old = await database_sync_to_async(log_events)(5, old=True)
    new = await database_sync_to_async(log_events)(1)
    caplog.set_level(logging.INFO, logger="realtime.retention")
    await connect()  # a socket starts the follower, and with it the pruner
    await wait_for(lambda: kept_ids() == [new[0].id], "the old events pruned")
    assert await database_sync_to_async(pruned_through)() == old[-1].id
    deadline = time.monotonic() + DEADLINE
    while "pruned 5 events" not in caplog.text:
        assert time.monotonic() < deadline, caplog.text
        await asyncio.sleep(0.02)
    # Later rounds keep pruning what ages past the retention.
    later = await database_sync_to_async(log_events)(2, old=True)
    await wait_for(lambda: kept_ids() == [], "the newly aged events pruned")
    assert await database_sync_to_async(pruned_through)() == later[-1].id


async def test_a_failed_round_is_logged_and_the_next_one_prunes(
        realtime_settings: Any, stop_pruner: None, monkeypatch: Any, caplog: Any) -> None:
    realtime_settings(PRUNE_INTERVAL=0.05)
    real_target = retention.prune_target
    calls = []

    def failing_once(*args: Any) -> int | None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_target(*args)

    monkeypatch.setattr(retention, "prune_target", failing_once)
    await database_sync_to_async(log_events)(3, old=True)
    pruner.ensure_running()
    await wait_for(lambda: kept_ids() == [], "pruned after the failed round")
    assert "event log retention failed" in caplog.text
    assert "database went away" in caplog.text
    assert not pruner.task.task.done()


async def test_another_process_holding_the_lease_means_no_prune(
        realtime_settings: Any, stop_pruner: None) -> None:
    realtime_settings(PRUNE_INTERVAL=0.05)
    await database_sync_to_async(log_events)(3, old=True)
    held = await database_sync_to_async(take_lease)(60)
    assert held is not None
    rounds = pruner.rounds
    pruner.ensure_running()
    deadline = time.monotonic() + DEADLINE
    while pruner.rounds < rounds + 3:
        assert time.monotonic() < deadline, "the pruner made no rounds"
        await asyncio.sleep(0.02)
    assert len(await database_sync_to_async(kept_ids)()) == 3


@pytest.mark.parametrize("value", ["external", None])
async def test_no_task_unless_the_interval_is_a_number(realtime_settings: Any, value: Any,
                                                       stop_pruner: None) -> None:
    realtime_settings(PRUNE_INTERVAL=value)
    pruner.ensure_running()
    assert not pruner.task.running_here()
    realtime_settings(PRUNE_INTERVAL=3600)
    pruner.ensure_running()
    assert pruner.task.running_here()


def test_prune_events_deletes_the_rows_of_long_expired_tokens(staff_user: Any) -> None:
    from realtime.models import IssuedToken
    from realtime.tokens import issue

    for _ in range(3):
        issue(staff_user)
    stale = IssuedToken.objects.first()
    IssuedToken.objects.filter(pk=stale.pk).update(
        expires_at=timezone.now() - timedelta(hours=2))
    out = StringIO()
    call_command("prune_events", stdout=out, verbosity=0)
    assert PRUNE_SUMMARY.fullmatch(out.getvalue().strip()).group(3) == "1"
    assert IssuedToken.objects.count() == 2
    assert not IssuedToken.objects.filter(pk=stale.pk).exists()
