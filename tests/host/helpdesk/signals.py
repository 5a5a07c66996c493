"""A Ticket save becomes ticket:created or ticket:updated, after its transaction commits."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from realtime import publish

from .models import Ticket


@receiver(post_save, sender=Ticket, dispatch_uid="helpdesk.ticket_saved")
def ticket_saved(sender: Any, instance: Ticket, created: bool, **kwargs: Any) -> None:
    publish.emit_tickets_event("created" if created else "updated", instance)
