"""``emit``: an event into the outbox in the caller's transaction, published after commit.

The one way events enter the system. The row is written in the caller's
transaction, so a rolled-back change sends nothing; once it has committed, the
sequencer gives it its position (realtime/sequencer.py) and this process publishes
it. Publishing never raises into the caller: a broken channel layer must not fail
an order save. Every server process also reads the log itself
(realtime/follower.py), so an event whose publish failed is late, not lost. The
``emit_*_event`` helpers of the old API are derived from the catalogue below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from django.db import DatabaseError, transaction
from django.utils import timezone

from . import background_loop, stats, wake
from .conf import setting
from .debounce import debounce_key
from .events import NAMESPACES, Namespace, namespace_of
from .follower import follower
from .frames import event_frame
from .groups import event_groups, user_group
from .hub import hub
from .messages import CONTROL, EVENT, Message
from .models import Event, PendingEvent
from .process import PROCESS_ORIGIN
from .sequencer import position_of, sequence
from .sessions import CONTROL_NAMESPACE

logger = logging.getLogger("realtime.publish")

# Seconds a synchronous publish waits on the background loop before it gives up (the
# event stays in the log, where the servers' followers find it): a save must not hang
# on a Redis that does not answer.
PUBLISH_TIMEOUT = 10.0


def emit(
    event_type: str,
    payload: dict[str, Any],
    *,
    owner: int | None = None,
    user: int | None = None,
    role: str | None = None,
    everyone: bool = False,
) -> PendingEvent | None:
    """Log ``event_type`` in the current transaction; number and publish it on commit.

    ``owner`` scopes an event to one customer (besides the namespace's full
    audience); ``user``, ``role`` or ``everyone`` address it instead of the
    namespace. Returns the outbox row (its ``position`` is set once this process
    has numbered it), or None when it could not be written.
    """
    ns = namespace_of(event_type)
    return log_event(ns.name, event_type, payload, owner=owner, user=user, role=role,
                     everyone=everyone)


def log_event(namespace: str, event_type: str, payload: dict[str, Any], *,
              owner: int | None = None, user: int | None = None, role: str | None = None,
              everyone: bool = False) -> PendingEvent | None:
    """``emit`` without the catalogue check, for the engine's own control messages."""
    try:
        with transaction.atomic():
            pending = PendingEvent.objects.create(
                namespace=namespace, type=event_type, payload=payload, owner_id=owner,
                user_id=user, target_role=role or "", everyone=everyone,
                origin=PROCESS_ORIGIN, created_at=timezone.now())
    except DatabaseError:
        logger.exception("event log write failed type=%s", event_type)
        stats.incr("publish.failures")
        return None
    transaction.on_commit(partial(committed, pending))
    return pending


def committed(pending: PendingEvent) -> None:
    """After the writer's commit: number what has committed and publish it; never raises.

    Another process, or this one for an earlier row of the same transaction, may
    have numbered the row already; then there is nothing left to do.
    """
    position = position_of(pending.pk)
    if position is None:
        try:
            events = sequence()
        except DatabaseError:
            # The row stays in the outbox: a server's follower numbers it later.
            logger.exception("sequencing failed pending=%s type=%s", pending.pk, pending.type)
            stats.incr("publish.failures")
            return
        publish(events)
        position = position_of(pending.pk)
    pending.position = position


def event_message(event: Event) -> Message:
    """The message of an event, from publisher to hubs: its frame encoded once, its
    position, and the groups it is for."""
    groups = tuple(groups_of(event))
    if event.namespace == CONTROL_NAMESPACE:
        return Message(CONTROL, event.pk, groups, action=event.type,
                       credential=event.payload.get("credential", ""))
    return Message(
        EVENT, event.pk, groups, ns=event.namespace, targeted=event.is_targeted,
        # Commit-to-send latency is measured from here (epoch seconds).
        at=event.created_at.timestamp(),
        text=event_frame(event.pk, event.type, event.namespace, event.created_at,
                         event.payload),
        debounce=debounce_key(event.type, event.payload))


def groups_of(event: Event) -> list[str]:
    if event.namespace == CONTROL_NAMESPACE:
        return [user_group(event.user_id)]
    return event_groups(event.type, owner=event.owner_id, user=event.user_id,
                        role=event.target_role or None, everyone=event.everyone)


def _as_list(events: Event | Iterable[Event]) -> list[Event]:
    return [events] if isinstance(events, Event) else list(events)


async def apublish(events: Event | Iterable[Event]) -> bool:
    """Send logged events to every server process, in order. False (logged, counted)
    when the layer failed: the followers then find them in the log."""
    ok = True
    for event in _as_list(events):
        try:
            await hub.publish(event_message(event))
        except Exception:
            logger.warning("publish failed id=%s type=%s; the event log still has it",
                           event.pk, event.type, exc_info=True)
            stats.incr("publish.failures")
            ok = False
            continue
        stats.incr(f"events.{event.type}")
    return ok


def publish(events: Event | Iterable[Event]) -> bool:
    """Synchronous ``apublish``, for after a commit; never raises.

    With the event-log bridge on (no Redis), the server's follower is also woken:
    this may be another process, whose saves reach the sockets only through the log.

    In a server process (its follower runs here) asgiref runs the publish on the
    server's own loop, where its hub lives. Anywhere else it runs on the process's
    background loop (realtime/background_loop.py), which keeps its Redis connection
    between saves (redis-py reconnects one that died with a restarted Redis).
    """
    events = _as_list(events)
    if not events:
        return True
    if setting("EVENT_LOG_BRIDGE"):
        wake.send()
    try:
        if follower.active():
            return async_to_sync(apublish)(events)
        return background_loop.run(apublish(events), PUBLISH_TIMEOUT)
    except Exception:
        logger.exception("publish failed ids=%s..%s", events[0].pk, events[-1].pk)
        stats.incr("publish.failures")
        return False


# The ``emit_<namespace>_event(action, payload_or_instance)`` helpers of the old API,
# one per registered namespace, made when first asked for: the registry is written
# by the apps' ``realtime.py`` modules after this module is imported.
# Per helper name, the declaration it was made from and the helper.
_helpers: dict[str, tuple[Namespace, Callable[..., PendingEvent | None]]] = {}


def _make_helper(ns: Namespace) -> Callable[..., PendingEvent | None]:
    def helper(action: str, obj: Any = None, /, *, owner: int | None = None,
               user: int | None = None, role: str | None = None,
               everyone: bool = False, **fields: Any) -> PendingEvent | None:
        event_type = f"{ns.prefix}:{action}"
        namespace_of(event_type)
        if obj is None or isinstance(obj, dict):
            payload = {**(obj or {}), **fields}
        else:
            if ns.payload is None:
                raise TypeError(f"Namespace {ns.name!r} declares no payload builder: "
                                "pass a payload dict")
            payload = {**ns.payload(obj), **fields}
            if owner is None and ns.owner is not None:
                owner = ns.owner(obj)
        return emit(event_type, payload, owner=owner, user=user, role=role,
                    everyone=everyone)

    helper.__name__ = helper.__qualname__ = ns.helper
    helper.__doc__ = (f"Emit ``{ns.prefix}:<action>`` ({', '.join(ns.actions)}) "
                      f"from a payload dict or a model instance.")
    return helper


def helpers() -> dict[str, Callable[..., PendingEvent | None]]:
    """Every registered namespace's helper, by name; made again only for a namespace
    registered anew (a test's, or a host's re-declaration)."""
    found = {}
    for ns in NAMESPACES.values():
        if not ns.helper:
            continue
        made = _helpers.get(ns.helper)
        if made is None or made[0] is not ns:
            made = _helpers[ns.helper] = (ns, _make_helper(ns))
        found[ns.helper] = made[1]
    return found


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return ["PROCESS_ORIGIN", "emit", "apublish", "publish", *helpers()]
    found = helpers().get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return found
