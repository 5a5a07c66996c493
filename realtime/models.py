"""The event log: every event, with an increasing id, kept for resume and relay."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Event(models.Model):
    """One emitted event.

    Written in the caller's transaction, so a rolled-back change leaves no row;
    its id is the ``id`` clients resume from. ``origin`` names the process that
    wrote it, so the embedded mode's bridge relays only other processes' events.
    """

    namespace = models.CharField(max_length=32)
    type = models.CharField(max_length=64)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    owner_id = models.BigIntegerField(null=True, blank=True)
    user_id = models.BigIntegerField(null=True, blank=True)
    target_role = models.CharField(max_length=16, blank=True)
    everyone = models.BooleanField(default=False)
    origin = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["namespace", "id"], name="realtime_ev_ns_id")]
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"

    @property
    def is_targeted(self) -> bool:
        """Addressed to a user, a role or everyone rather than to a namespace."""
        return self.user_id is not None or bool(self.target_role) or self.everyone


class Watermark(models.Model):
    """A named high-water mark; ``pruned`` is the highest event id retention deleted.

    A resume from below it cannot be complete, whatever rows happen to remain.
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
