"""Delete old events from the log (retention); resumes from before them get ``reset``.

For deployments that schedule retention themselves (``PRUNE_INTERVAL = "external"``),
and for a one-off clean-up. It deletes in the same short batches as the server's
automatic retention and does not wait for that one's lease: two prunes at once
delete the same rows once and leave the ``pruned`` watermark right. It prints the
running total after each batch, of the events it found to delete, so a long prune
shows how far it is (``-v 0``: none), and one summary line at the end: what it
deleted and how long that took (a cron job's log keeps that line alone).
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realtime import tokens
from realtime.conf import setting
from realtime.models import Event
from realtime.retention import PRUNE_BATCH, prune, prune_target


class Command(BaseCommand):
    help = "Delete events older than the retention (REALTIME['EVENT_RETENTION_DAYS'])."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=None,
                            help="keep this many days (default: the retention setting)")
        parser.add_argument("--keep-last", type=int, default=0,
                            help="always keep at least this many newest events")
        parser.add_argument("--batch-size", type=int, default=PRUNE_BATCH,
                            help=f"positions deleted per transaction (default {PRUNE_BATCH})")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else setting("EVENT_RETENTION_DAYS")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        verbose = options["verbosity"] >= 1
        started = time.monotonic()
        keep_last = options["keep_last"] or None
        through = prune_target(timedelta(days=days), keep_last=keep_last)
        pending = 0 if through is None else Event.objects.filter(id__lte=through).count()

        def progress(total: int) -> None:
            if verbose:
                share = 100 * total // max(pending, total)
                self.stdout.write(f"deleted {total} of {pending} events ({share}%)")

        deleted = 0
        if through is not None:
            deleted = prune(timedelta(days=days), keep_last=keep_last,
                            batch=options["batch_size"], progress=progress, through=through)
        tokens_deleted = tokens.prune_expired()
        self.stdout.write(f"deleted {deleted} events older than {days:g} days and "
                          f"{tokens_deleted} expired tokens in "
                          f"{time.monotonic() - started:.2f} s")
