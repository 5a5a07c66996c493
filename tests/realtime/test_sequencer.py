"""realtime.sequencer: positions given after commit, dense, in the order they become visible."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from realtime import sequencer
from realtime.models import Event, PendingEvent, Watermark
from realtime.process import PROCESS_ORIGIN
from realtime.publish import emit

pytestmark = pytest.mark.django_db(transaction=True)


def pending(origin: str = "elsewhere", **fields: Any) -> PendingEvent:
    return PendingEvent.objects.create(namespace="products", type="product:updated",
                                       payload=fields.pop("payload", {}), origin=origin,
                                       created_at=fields.pop("created_at", timezone.now()),
                                       **fields)


def test_committed_rows_move_into_the_log_at_the_next_positions() -> None:
    pending(), pending()
    moved = sequencer.sequence()
    assert [event.pk for event in moved] == [1, 2]
    assert [e.pk for e in Event.objects.order_by("id")] == [1, 2]
    assert not PendingEvent.objects.exists()
    assert Watermark.objects.get(name=sequencer.SEQUENCE).value == 2
    pending()
    assert [event.pk for event in sequencer.sequence()] == [3]
    assert sequencer.sequence() == []


def test_positions_continue_past_the_last_one_even_after_everything_was_pruned() -> None:
    pending(), pending()
    sequencer.sequence()
    Event.objects.all().delete()  # retention took everything
    pending()
    assert [event.pk for event in sequencer.sequence()] == [3]


def test_an_event_written_into_the_log_directly_is_numbered_past() -> None:
    Event.objects.create(id=41, namespace="products", type="product:updated", payload={},
                         origin="import", created_at=timezone.now())
    pending()
    assert [event.pk for event in sequencer.sequence()] == [42]


def test_a_moved_event_keeps_every_field_as_written() -> None:
    at = timezone.now() - timedelta(seconds=5)
    pending(payload={"id": 7, "total": "10.00", "items": [1, 2]}, created_at=at, owner_id=3,
            user_id=4, target_role="staff", everyone=True)
    (moved,) = sequencer.sequence()
    (stored,) = Event.objects.all()
    for event in (moved, stored):
        assert (event.namespace, event.type, event.origin) == ("products", "product:updated",
                                                               "elsewhere")
        assert event.payload == {"id": 7, "total": "10.00", "items": [1, 2]}
        assert event.created_at == at
        assert (event.owner_id, event.user_id, event.target_role, event.everyone) == (
            3, 4, "staff", True)


def test_a_missing_lock_row_is_created() -> None:
    Watermark.objects.filter(name=sequencer.SEQUENCE).delete()
    pending()
    assert [event.pk for event in sequencer.sequence()] == [1]


def test_a_large_backlog_moves_in_batches(monkeypatch: Any) -> None:
    monkeypatch.setattr(sequencer, "BATCH", 3)
    for _ in range(8):
        pending()
    assert [event.pk for event in sequencer.sequence()] == list(range(1, 9))


def test_this_process_learns_the_positions_of_its_own_rows_only() -> None:
    own, other = pending(origin=PROCESS_ORIGIN), pending()
    sequencer.sequence()
    assert sequencer.position_of(own.pk) == 1
    assert sequencer.position_of(own.pk) is None  # asked once
    assert sequencer.position_of(other.pk) is None  # its own writer asks for it


def test_emit_learns_its_position_after_the_commit() -> None:
    with transaction.atomic():
        first = emit("product:created", {"id": 1})
        second = emit("product:updated", {"id": 1})
        assert (first.position, second.position) == (None, None)
    assert (first.position, second.position) == (1, 2)


def test_stragglers_are_rows_that_waited_too_long() -> None:
    pending()
    assert not sequencer.stragglers(older_than=60)
    pending(created_at=timezone.now() - timedelta(seconds=120))
    assert sequencer.stragglers(older_than=60)


def test_concurrent_writers_get_dense_distinct_positions() -> None:
    """Writers in threads, each emitting in its own transactions: every event numbered
    once, positions 1..N without a gap, each writer's events in its own order."""
    writers, per_writer = 4, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(per_writer):
                with transaction.atomic():
                    emit("product:updated", {"writer": n, "i": i})
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    events = list(Event.objects.order_by("id"))
    assert [event.pk for event in events] == list(range(1, writers * per_writer + 1))
    assert not PendingEvent.objects.exists()
    for n in range(writers):
        mine = [event.payload["i"] for event in events if event.payload["writer"] == n]
        assert mine == list(range(per_writer))
