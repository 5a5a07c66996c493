"""Positions in commit order: the one place an event gets the number clients resume from.

A database id is not such a number. Under concurrent PostgreSQL writers a row
with a lower id can commit after a row with a higher one, so a reader that has
seen id N cannot know whether N-1 is still to come: "id > since" skips it. So
``emit`` writes to an outbox (``PendingEvent``) in the caller's transaction, and
after that transaction commits, ``sequence()`` moves the committed outbox rows
into the log (``Event``), numbering them on from the last position.

Every ``sequence()`` holds the ``sequence`` watermark row locked from its first
statement until it commits, so two of them never overlap: positions are given in
order, without gaps, and each batch is visible before the next one is numbered. A
reader that sees position N therefore sees every position below it, on PostgreSQL
as on SQLite. Any process may sequence (a server, a management command, the
shell); whoever gets the lock first numbers every committed row, its own and the
others', and publishes them. A writer that died between its commit and its
``sequence()`` leaves its rows in the outbox for the next one, and server processes
sequence what has waited longer than ``STRAGGLER_AGE`` (realtime/follower.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone

from .models import Event, PendingEvent, Watermark
from .process import PROCESS_ORIGIN

SEQUENCE = "sequence"
# Outbox rows numbered per transaction: a burst is moved in a few short transactions.
BATCH = 500
_FIELDS = [field.name for field in PendingEvent._meta.concrete_fields if field.name != "id"]
# Outbox ids this process wrote and already moved, with the position each got: their
# own after-commit call then has nothing to do but read it.
_moved: dict[int, int] = {}


# Per database vendor, the sequencer's statements (``_sql``).
_statements: dict[str, dict[str, str]] = {}


def _sql(connection: Any) -> dict[str, str]:
    """The sequencer's statements for this connection's SQL dialect, made once.

    Plain SQL rather than querysets: the ORM built and compiled each of these
    statements anew on every save, more than half of the numbering transaction's
    time for one event (docs/performance.md). The outbox rows are still read
    through the ORM (``raw``), which converts their columns.
    """
    statements = _statements.get(connection.vendor)
    if statements is None:
        q = connection.ops.quote_name
        mark = q(Watermark._meta.db_table)
        value, name = (q(Watermark._meta.get_field(field).column) for field in ("value", "name"))
        pending, log = q(PendingEvent._meta.db_table), q(Event._meta.db_table)
        pk, pending_pk = q(Event._meta.pk.column), q(PendingEvent._meta.pk.column)
        statements = _statements[connection.vendor] = {
            "lock": f"UPDATE {mark} SET {value} = {value} WHERE {name} = %s",
            "last": f"SELECT {value}, (SELECT MAX({pk}) FROM {log}) FROM {mark} "
                    f"WHERE {name} = %s",
            "pending": f"SELECT * FROM {pending} ORDER BY {pending_pk} LIMIT %s",
            "delete": f"DELETE FROM {pending} WHERE {pending_pk} IN ",
            "mark": f"UPDATE {mark} SET {value} = %s WHERE {name} = %s",
        }
    return statements


def _lock(cursor: Any, sql: dict[str, str]) -> int:
    """Take the sequencer's lock (the ``sequence`` row, until commit); the last position.

    An UPDATE first, not a SELECT: SQLite in deferred mode then waits for the write
    lock instead of failing to upgrade a read lock, and PostgreSQL locks the row. An
    event written into the log directly (a fixture, an import) is numbered past.
    """
    cursor.execute(sql["lock"], [SEQUENCE])
    if not cursor.rowcount:
        try:
            with transaction.atomic(using=cursor.db.alias):
                Watermark.objects.using(cursor.db.alias).create(name=SEQUENCE, value=0)
        except IntegrityError:
            pass  # created by a concurrent sequencer: its row is the lock now
        cursor.execute(sql["lock"], [SEQUENCE])
    cursor.execute(sql["last"], [SEQUENCE])
    mark, top = cursor.fetchone()
    return max(mark, top or 0)


def _move_batch() -> list[Event]:
    """One transaction on the log's database, which holds the outbox and the lock too:
    the three are moved, deleted and locked together (a router must send the realtime
    models to one database)."""
    alias = router.db_for_write(Event)
    connection = connections[alias]
    sql = _sql(connection)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        last = _lock(cursor, sql)
        pending = list(PendingEvent.objects.raw(sql["pending"], [BATCH], using=alias))
        if not pending:
            return []
        events = [Event(id=last + offset, **{name: getattr(row, name) for name in _FIELDS})
                  for offset, row in enumerate(pending, 1)]
        Event.objects.using(alias).bulk_create(events)
        ids = [row.id for row in pending]
        cursor.execute(sql["delete"] + "(" + ", ".join(["%s"] * len(ids)) + ")", ids)
        cursor.execute(sql["mark"], [events[-1].id, SEQUENCE])
    for row, event in zip(pending, events, strict=True):
        if row.origin == PROCESS_ORIGIN:
            _moved[row.id] = event.id
    return events


def sequence() -> list[Event]:
    """Number every committed outbox row, oldest first; the events now in the log.

    Must run outside the writer's transaction (``transaction.on_commit``): rows it
    cannot see yet are numbered by their own writer's call.
    """
    moved: list[Event] = []
    while batch := _move_batch():
        moved.extend(batch)
        if len(batch) < BATCH:
            break
    return moved


def position_of(pending_id: int) -> int | None:
    """The position this process gave one of its outbox rows, forgotten once asked."""
    return _moved.pop(pending_id, None)


def stragglers(older_than: float) -> bool:
    """Whether a committed outbox row has waited longer than ``older_than`` seconds."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    return PendingEvent.objects.filter(created_at__lt=cutoff).exists()
