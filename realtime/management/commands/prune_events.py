"""Delete old events from the log (retention); resumes from before them get ``reset``.

For deployments that schedule retention themselves (``PRUNE_INTERVAL = "external"``),
and for a one-off clean-up. It deletes in the same short batches as the server's
automatic retention and does not wait for that one's lease: two prunes at once
delete the same rows once and leave the ``pruned`` watermark right. It prints the
running total after each batch (``-v 0``: only the summary line).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realtime import tokens
from realtime.conf import setting
from realtime.retention import PRUNE_BATCH, prune


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
        verbosity = options["verbosity"]

        def progress(total: int) -> None:
            if verbosity >= 1:
                self.stdout.write(f"deleted {total} events so far")

        deleted = prune(timedelta(days=days), keep_last=options["keep_last"] or None,
                        batch=options["batch_size"], progress=progress)
        self.stdout.write(f"deleted {deleted} events older than {days:g} days")
        self.stdout.write(f"deleted {tokens.prune_expired()} expired tokens")
