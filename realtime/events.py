"""The registry of namespaces and event types, written into by the apps that own the data.

Shaped like Django's admin site: ``realtime`` knows no model and no namespace
of a host but its own (``system``). Each app declares its namespaces once, in a
``realtime.py`` module that ``RealtimeConfig.ready()`` autodiscovers the way the
admin finds ``admin.py``::

    from realtime.events import Access, register

    register("tickets", actions=("created", "updated"),
             access={"agent": Access.ALL, "requester": Access.OWN},
             payload=ticket_payload, owner=lambda ticket: ticket.requester_id)

The consumer authorizes subscriptions from it, ``GET /api/ws`` and
``/api/ws/info`` describe it, ``emit`` validates against it and the ``emit_*``
helpers are derived from it, and the docs' table is checked against it. Roles are
the project's: ``REALTIME["ROLES"]``, resolved by ``REALTIME["ROLE_RESOLVER"]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .conf import setting

if TYPE_CHECKING:
    from .roles import Profile


class Access(StrEnum):
    """How much of a namespace a role sees."""

    ALL = "all"
    OWN = "own"  # only events whose owner is the socket's own profile
    NONE = "no"


PayloadBuilder = Callable[[Any], dict[str, Any]]
OwnerOf = Callable[[Any], "int | None"]
# Namespace and action names become group names and event types: keep them plain.
NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Namespace:
    """One namespace as its app declared it."""

    name: str
    prefix: str
    actions: tuple[str, ...]
    # Access per role; a role not named sees nothing.
    matrix: Mapping[str, Access]
    helper: str | None = None
    description: str = ""
    # Model instance -> payload, and -> owner id, for ``emit_<ns>_event(action, instance)``.
    payload: PayloadBuilder | None = None
    owner: OwnerOf | None = None
    # Action -> the payload field that keys it: a burst within DEBOUNCE_WINDOW is sent once.
    debounce: Mapping[str, str] = field(default_factory=dict)
    # Actions an owner's client may report with an ``activity`` frame, and the payload.
    client_actions: tuple[str, ...] = ()
    client_payload: Callable[[Profile, dict[str, Any]], dict[str, Any]] | None = None
    # Set to announce ``<prefix>:online`` / ``<prefix>:offline`` for owners (presence).
    presence_payload: Callable[[Profile], dict[str, Any]] | None = None

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(f"{self.prefix}:{action}" for action in self.actions)

    def access(self, role: str) -> Access:
        return self.matrix.get(role, Access.NONE)

    @property
    def owner_scoped(self) -> bool:
        return Access.OWN in self.matrix.values()


class RegistryError(ValueError):
    """A declaration that cannot be registered; the message names the namespace."""


class Registry:
    """Every namespace of the project, by name and by event type."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}
        self.types: dict[str, Namespace] = {}

    def register(self, name: str, *, actions: tuple[str, ...] | list[str],
                 access: Mapping[str, Access | str], prefix: str | None = None,
                 helper: str | None = None, description: str = "",
                 **options: Any) -> Namespace:
        """Declare a namespace; ``options`` are the other fields of ``Namespace``."""
        prefix = prefix or name
        for value in (name, prefix, *actions):
            if not NAME.match(value):
                raise RegistryError(f"Namespace {name!r}: {value!r} is not a plain lowercase "
                                    "name (letters, digits, _; at most 32)")
        if name in self.namespaces:
            raise RegistryError(f"Namespace {name!r} is already registered")
        namespace = Namespace(
            name=name, prefix=prefix, actions=tuple(actions),
            matrix={role: Access(value) for role, value in access.items()},
            helper=helper or f"emit_{name}_event", description=description, **options)
        clash = [t for t in namespace.types if t in self.types]
        if clash:
            raise RegistryError(f"Namespace {name!r}: {', '.join(clash)} already registered")
        if any(ns.helper == namespace.helper for ns in self.namespaces.values()):
            raise RegistryError(f"Namespace {name!r}: helper {namespace.helper!r} is taken")
        self.namespaces[name] = namespace
        self.types.update(dict.fromkeys(namespace.types, namespace))
        return namespace

    def unregister(self, name: str) -> None:
        namespace = self.namespaces.pop(name)
        for event_type in namespace.types:
            self.types.pop(event_type, None)

    def ordered(self) -> list[Namespace]:
        """Namespaces in ``REALTIME["NAMESPACE_ORDER"]``'s order, then the rest as registered."""
        first = [self.namespaces[n] for n in setting("NAMESPACE_ORDER") if n in self.namespaces]
        return first + [ns for ns in self.namespaces.values() if ns not in first]

    def presence(self) -> Namespace | None:
        """The namespace that announces owners online and offline, if one does."""
        return next((ns for ns in self.namespaces.values() if ns.presence_payload), None)

    def activity(self, action: str) -> Namespace | None:
        """The namespace whose clients may report ``action``, if one declares it."""
        return next((ns for ns in self.namespaces.values() if action in ns.client_actions),
                    None)

    def client_actions(self) -> list[str]:
        return [a for ns in self.namespaces.values() for a in ns.client_actions]


registry = Registry()
register = registry.register
# Live views of the registry, for lookups by name or type.
NAMESPACES: Mapping[str, Namespace] = registry.namespaces
EVENT_TYPES: Mapping[str, Namespace] = registry.types


class UnknownEventType(ValueError):
    """An event type that no app registered."""


def namespace_of(event_type: str) -> Namespace:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(f"Unknown realtime event type {event_type!r}") from None


def roles() -> list[str]:
    """The project's roles (``REALTIME["ROLES"]``)."""
    return list(setting("ROLES"))


def catalogue() -> list[Namespace]:
    """Every namespace, in the project's order."""
    return registry.ordered()


def namespaces_for(role: str) -> list[str]:
    """The namespaces a role may subscribe to, in the project's order."""
    return [ns.name for ns in catalogue() if ns.access(role) is not Access.NONE]


def describe() -> dict[str, dict]:
    """The catalogue as JSON for ``GET /api/ws`` and the docs."""
    return {
        ns.name: {
            "types": list(ns.types),
            "description": ns.description,
            "access": {role: ns.access(role).value for role in roles()},
        }
        for ns in catalogue()
    }


def declare_system() -> None:
    """realtime's own namespace: operator notifications, for ``ADMIN_ROLE``.

    Personal events (``manage.py notify --user/--role/--everyone``) reach anyone.
    """
    if "system" not in NAMESPACES:
        register("system", actions=("notification", "alert", "maintenance"),
                 access={setting("ADMIN_ROLE"): Access.ALL},
                 helper="emit_system_notification",
                 description="Operator notifications, alerts and maintenance windows")
