"""Send a system notification, alert or maintenance notice to sockets.

Without a target it goes to the ``system`` namespace (admins subscribed to
it); ``--user``, ``--role`` or ``--everyone`` address it to people instead,
whatever they subscribed to.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.dateparse import parse_datetime

from realtime.events import NAMESPACES, roles
from realtime.publish import emit

LEVELS = ("info", "success", "warning", "error", "critical")


class Command(BaseCommand):
    help = "Send system:notification, system:alert or system:maintenance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("message")
        parser.add_argument("--kind", choices=NAMESPACES["system"].actions,
                            default="notification")
        parser.add_argument("--title", default="Omni Sales")
        parser.add_argument("--level", choices=LEVELS, default="info")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--user", help="username of the one recipient")
        target.add_argument("--role", choices=roles())
        target.add_argument("--everyone", action="store_true")
        parser.add_argument("--starts-at", help="ISO 8601, for maintenance")
        parser.add_argument("--ends-at", help="ISO 8601, for maintenance")

    def handle(self, *args: Any, **options: Any) -> None:
        payload: dict[str, Any] = {"title": options["title"], "message": options["message"],
                                   "level": options["level"]}
        if options["kind"] == "maintenance":
            for key, option in (("startsAt", "starts_at"), ("endsAt", "ends_at")):
                value = options[option]
                if value and parse_datetime(value) is None:
                    raise CommandError(f"--{option.replace('_', '-')}: not an ISO 8601 time")
                payload[key] = value
        user_id = None
        if options["user"]:
            user = get_user_model()._default_manager.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user named {options['user']!r}")
            user_id = user.pk
        with transaction.atomic():
            event = emit(f"system:{options['kind']}", payload, user=user_id,
                         role=options["role"], everyone=options["everyone"])
        if event is None:
            raise CommandError("The event could not be logged; see the log")
        # Numbered after the commit, by this process unless another one got there first.
        where = f"as event {event.position}" if event.position else "to the event log"
        self.stdout.write(f"sent system:{options['kind']} {where}")
