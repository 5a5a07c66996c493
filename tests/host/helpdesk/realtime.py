"""The helpdesk's declaration to realtime (docs/integration.md, step 5).

Agents see every ticket; a requester sees only their own (owner-scoped by the
ticket's requester).
"""

from typing import Any

from realtime.events import Access, register
from realtime.roles import Profile


def ticket_payload(ticket: Any) -> dict[str, Any]:
    return {"id": ticket.pk, "title": ticket.title, "status": ticket.status,
            "requesterId": ticket.requester_id}


def role(user: Any, profile: Profile | None) -> str:
    if user is None or not user.is_authenticated:
        return "anonymous"
    if user.is_superuser:
        return "admin"
    return "agent" if user.is_staff else "requester"


def requester(user: Any) -> Profile | None:
    """A requester owns their tickets; agents own none."""
    if user is None or not user.is_authenticated or user.is_staff:
        return None
    return Profile(user.pk, user.get_username())


register("tickets", prefix="ticket", actions=("created", "updated"),
         access={"admin": Access.ALL, "agent": Access.ALL, "requester": Access.OWN},
         description="Helpdesk tickets", payload=ticket_payload,
         owner=lambda ticket: ticket.requester_id)
