"""The event log: every event at its position, kept for resume and relay; its outbox; and
the tokens issued for sockets."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class EventFields(models.Model):
    """What an event is: its type, payload and audience (shared by the outbox and the log)."""

    namespace = models.CharField(max_length=32)
    type = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    owner_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    target_role = models.CharField(max_length=16, blank=True)
    everyone = models.BooleanField(default=False)
    origin = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        abstract = True

    @property
    def is_targeted(self) -> bool:
        """Addressed to a user, a role or everyone rather than to a namespace."""
        return self.user_id is not None or bool(self.target_role) or self.everyone


# Replays read only events addressed to a namespace, never to a user or a role.
UNTARGETED = Q(user_id__isnull=True, target_role="", everyone=False)


class PendingEvent(EventFields):
    """An event written in the caller's transaction and not yet numbered: the outbox.

    A rolled-back change leaves no row. Once the transaction has committed, the
    sequencer (realtime/sequencer.py) moves the row into ``Event`` with the next
    position; its own id is only the order in which rows were written.
    """

    # The position, once this process has numbered the row (not a column).
    position: int | None = None

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"pending #{self.pk} {self.type}"


class Event(EventFields):
    """One event of the log, at its position.

    ``id`` is the position clients see and resume from. The sequencer gives it
    after the event's transaction committed, one number after the other under a
    lock, so positions become visible in the order they were given: a reader
    that sees position N sees every position below it. ``origin`` names the
    process that wrote the event.
    """

    id = models.BigIntegerField(primary_key=True)

    class Meta:
        indexes = [
            models.Index(fields=["namespace", "id"], condition=UNTARGETED,
                         name="realtime_ev_replay"),
            models.Index(fields=["namespace", "owner_id", "id"], condition=UNTARGETED,
                         name="realtime_ev_replay_owner"),
            models.Index(fields=["created_at"], name="realtime_ev_created"),
        ]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"


class Watermark(models.Model):
    """A named mark: ``pruned`` is the highest position retention deleted (a resume
    from below it cannot be complete); ``sequence`` is the last position given, and
    its row is the sequencer's lock.
    """

    name = models.CharField(max_length=32, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ProcessStats(models.Model):
    """The latest stats snapshot of one server process (the embedded mode's store).

    Each process upserts its row every ``STATS_INTERVAL`` seconds; readers ignore
    rows older than the stats TTL, so a process that died drops out by itself.
    With Redis the snapshots live in expiring Redis keys instead.
    """

    origin = models.CharField(max_length=64, primary_key=True)
    pid = models.IntegerField()
    host = models.CharField(max_length=255)
    updated_at = models.DateTimeField(db_index=True)
    snapshot = models.JSONField()

    class Meta:
        verbose_name = "live stats"
        verbose_name_plural = "live stats"

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"


class IssuedToken(models.Model):
    """A token given out by ``POST /api/ws/token``: what makes it revocable.

    The signed token names this row; a token whose row is revoked, or gone, no longer
    authenticates, and the sockets it opened close. ``session`` is the fingerprint of
    the session it was issued from (blank for Basic auth), so a logout revokes it too.
    Rows are deleted once expired (realtime/retention.py).
    """

    id = models.CharField(max_length=32, primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    session = models.CharField(max_length=32, blank=True, db_index=True)
    # The session itself, so the heartbeat sweep can see it end without a logout (a new
    # login in that browser, expiry, sessions deleted); the session table holds the same.
    session_key = models.CharField(max_length=40, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.id} of user {self.user_id}"
