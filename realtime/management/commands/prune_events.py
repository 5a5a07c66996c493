"""Delete old events from the log (retention); resumes from before them get ``reset``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from realtime.conf import setting
from realtime.retention import prune


class Command(BaseCommand):
    help = "Delete events older than the retention (REALTIME['EVENT_RETENTION_DAYS'])."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=float, default=None,
                            help="keep this many days (default: the retention setting)")
        parser.add_argument("--keep-last", type=int, default=0,
                            help="always keep at least this many newest events")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"] if options["days"] is not None else setting("EVENT_RETENTION_DAYS")
        deleted = prune(timedelta(days=days), keep_last=options["keep_last"] or None)
        self.stdout.write(f"deleted {deleted} events older than {days:g} days")
