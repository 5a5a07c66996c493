"""Channel-layer group names: the one place a namespace becomes a group.

Filtering is group membership, decided at subscribe time: a socket whose role
sees all of a namespace joins ``<prefix>.<ns>``; a customer's socket joins
``<prefix>.<ns>.owner.<id>``. An owner-scoped event is sent to both groups,
so no socket ever filters on the hot path. Names keep to Channels' rule:
``^[a-zA-Z0-9\\-_.]+$`` and under 100 characters.
"""

from __future__ import annotations

from .conf import setting
from .events import NAMESPACES, Access, namespace_of


def namespace_group(namespace: str) -> str:
    return f"{setting('GROUP_PREFIX')}.{namespace}"


def owner_group(namespace: str, owner_id: int) -> str:
    return f"{setting('GROUP_PREFIX')}.{namespace}.owner.{int(owner_id)}"


def user_group(user_id: int) -> str:
    """Events addressed to one user, whatever their role or subscriptions."""
    return f"{setting('GROUP_PREFIX')}.user.{int(user_id)}"


def role_group(role: str) -> str:
    return f"{setting('GROUP_PREFIX')}.role.{role}"


def everyone_group() -> str:
    return f"{setting('GROUP_PREFIX')}.all"


def subscription_group(namespace: str, access: Access, owner_id: int | None) -> str | None:
    """The group a socket joins for a namespace, or None when it may not."""
    if access is Access.ALL:
        return namespace_group(namespace)
    if access is Access.OWN and owner_id is not None:
        return owner_group(namespace, owner_id)
    return None


def event_groups(
    event_type: str,
    *,
    owner: int | None = None,
    user: int | None = None,
    role: str | None = None,
    everyone: bool = False,
) -> list[str]:
    """Every group an event goes to. The audiences of these groups never overlap."""
    if user is not None:
        return [user_group(user)]
    if role is not None:
        return [role_group(role)]
    if everyone:
        return [everyone_group()]
    ns = namespace_of(event_type)
    groups = [namespace_group(ns.name)]
    if owner is not None and NAMESPACES[ns.name].owner_scoped:
        groups.append(owner_group(ns.name, owner))
    return groups
