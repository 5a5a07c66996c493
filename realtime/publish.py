"""``emit``: record an event in the log and publish it after the commit.

The one way events enter the system. The ``emit_*_event`` helpers of the
old API are derived from the catalogue below, not written out one by one.
Publishing never raises into the caller: a broken channel layer must not
fail an order save; the event stays in the log for resume and replay.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from django.db import DatabaseError, transaction
from django.utils import timezone

from . import stats, wake
from .conf import setting
from .debounce import debounce_key
from .events import CATALOGUE, Namespace, namespace_of
from .groups import event_groups, user_group
from .hub import CONTROL, EVENT, hub
from .models import Event
from .protocol import event_frame
from .sessions import CONTROL_NAMESPACE

logger = logging.getLogger("realtime.publish")

# Names this process in the event log, so the bridge skips what it sent itself.
PROCESS_ORIGIN = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"



def emit(
    event_type: str,
    payload: dict[str, Any],
    *,
    owner: int | None = None,
    user: int | None = None,
    role: str | None = None,
    everyone: bool = False,
) -> Event | None:
    """Log ``event_type`` in the current transaction; publish it when that commits.

    ``owner`` scopes an event to one customer (besides the namespace's full
    audience); ``user``, ``role`` or ``everyone`` address it instead of the
    namespace. Returns the logged event, or None when it could not be logged.
    """
    ns = namespace_of(event_type)
    try:
        with transaction.atomic():
            event = Event.objects.create(
                namespace=ns.name,
                type=event_type,
                payload=payload,
                owner_id=owner,
                user_id=user,
                target_role=role or "",
                everyone=everyone,
                origin=PROCESS_ORIGIN,
                created_at=timezone.now(),
            )
    except DatabaseError:
        logger.exception("event log write failed type=%s", event_type)
        stats.incr("publish.failures")
        return None
    transaction.on_commit(partial(publish, event))
    return event


def event_message(event: Event) -> dict[str, Any]:
    """The channel-layer message for an event: its frame encoded once, for every socket."""
    if event.namespace == CONTROL_NAMESPACE:
        return {"type": CONTROL, "action": event.type,
                "session": event.payload.get("session", "")}
    message = {
        "type": EVENT,
        "id": event.pk,
        "ns": event.namespace,
        "targeted": event.is_targeted,
        # Commit-to-send latency is measured from here (epoch seconds).
        "at": event.created_at.timestamp(),
        "text": event_frame(event.pk, event.type, event.namespace, event.created_at,
                            event.payload),
    }
    key = debounce_key(event.type, event.payload)
    if key is not None:
        message["debounce"] = key
    return message


def groups_of(event: Event) -> list[str]:
    if event.namespace == CONTROL_NAMESPACE:
        return [user_group(event.user_id)]
    return event_groups(event.type, owner=event.owner_id, user=event.user_id,
                        role=event.target_role or None, everyone=event.everyone)


async def apublish(event: Event) -> bool:
    """Send a logged event to its groups. False (logged, counted) when the layer failed."""
    message = event_message(event)
    try:
        for group in groups_of(event):
            await hub.publish(group, message)
    except Exception:
        logger.exception("publish failed id=%s type=%s", event.pk, event.type)
        stats.incr("publish.failures")
        return False
    stats.incr(f"events.{event.type}")
    return True


def publish(event: Event) -> bool:
    """Synchronous ``apublish``, for ``transaction.on_commit``; never raises.

    With the event-log bridge on (no Redis), the server's bridge is also woken:
    this may be another process, whose saves reach the sockets only through the log.
    """
    if setting("EVENT_LOG_BRIDGE"):
        wake.send()
    try:
        return async_to_sync(apublish)(event)
    except Exception:
        logger.exception("publish failed id=%s type=%s", event.pk, event.type)
        stats.incr("publish.failures")
        return False


# Model → payload and owner, registered by the apps that own the models, so the
# helpers below accept a model instance the way the old API did.
PayloadBuilder = Callable[[Any], dict[str, Any]]
OwnerOf = Callable[[Any], "int | None"]
_sources: dict[str, tuple[PayloadBuilder, OwnerOf | None]] = {}


def register_source(namespace: str, payload: PayloadBuilder,
                    owner: OwnerOf | None = None) -> None:
    """Let ``emit_<namespace>_event(action, instance)`` build payloads for a model."""
    _sources[namespace] = (payload, owner)


def _make_helper(ns: Namespace) -> Callable[..., Event | None]:
    def helper(action: str, obj: Any = None, /, *, owner: int | None = None,
               user: int | None = None, role: str | None = None,
               everyone: bool = False, **fields: Any) -> Event | None:
        event_type = f"{ns.prefix}:{action}"
        namespace_of(event_type)
        if obj is None or isinstance(obj, dict):
            payload = {**(obj or {}), **fields}
        else:
            build, owner_of = _sources.get(ns.name, (None, None))
            if build is None:
                raise TypeError(f"No payload builder registered for namespace {ns.name!r}")
            payload = {**build(obj), **fields}
            if owner is None and owner_of is not None:
                owner = owner_of(obj)
        return emit(event_type, payload, owner=owner, user=user, role=role,
                    everyone=everyone)

    helper.__name__ = helper.__qualname__ = ns.helper
    helper.__doc__ = (f"Emit ``{ns.prefix}:<action>`` ({', '.join(ns.actions)}) "
                      f"from a payload dict or a registered model instance.")
    return helper


HELPERS = {ns.helper: _make_helper(ns) for ns in CATALOGUE}
globals().update(HELPERS)
__all__ = ["emit", "apublish", "publish", "register_source", *HELPERS]
