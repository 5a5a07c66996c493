"""Generic live widgets for templates: ``{% load realtime %}``.

Each tag renders its widget's current state on the server, so the page reads
without JavaScript, plus the state its ES module (realtime/static/realtime/widgets/)
needs to keep it live over the page's one RealtimeSocket. Who sees what is
decided from the registry (``realtime.events``), the table the consumer
authorizes subscriptions with: a widget the role may not see renders nothing.

Here: the connection indicator, notifications, ``live_field`` and ``live_list``
(any host binds them to its own event types), the page's scripts, and the helpers
apps build their own widget tags on (``widget_context``, ``access_to``,
``may_see``, ``json_state``); the demo's order and stock widgets are in
``orders_live`` and ``inventory_live``.

``{% realtime_scripts %}`` (once per page, in ``base.html``) writes the page's
socket configuration and loads ``widgets/boot.js``, which mounts every
``[data-rt-widget]`` element.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Max
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString, mark_safe

from realtime.events import NAMESPACES, Access, namespace_of, namespaces_for
from realtime.models import Event
from realtime.roles import Identity, identify
from realtime.widgets import modules as widget_modules

register = template.Library()

# The multiplexed endpoint (docs/protocol.md); the page's socket uses the session cookie.
SOCKET_PATH = "/api/ws"
PRESENCE_PATH = "/api/ws/presence"

# json_script's escapes: the JSON cannot close its <script> element or open a comment.
_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


# Snapshots: the state a page renders and the event id its socket resumes from


def latest_event_id() -> int:
    """The event log's newest id (0 when empty)."""
    return Event.objects.aggregate(last=Max("id"))["last"] or 0


@contextmanager
def live_snapshot() -> Iterator[int]:
    """Read a page's initial widget state consistently; yields the event id to resume from.

    Read the state inside the block and pass the id to the template as
    ``realtime_since``: the socket subscribes with ``since`` = that id, so an event
    committed after the read is replayed and one committed before it is already in
    the page. One transaction (SQLite's are IMMEDIATE here; PostgreSQL's is made
    REPEATABLE READ) keeps the id and the state from drifting apart.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _nested():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield latest_event_id()


def _nested() -> bool:
    # Only the outermost atomic block starts a transaction whose level can still be set.
    return len(connection.savepoint_ids) > 0


# Who is looking


def identity_of(context: Mapping[str, Any]) -> Identity:
    """The request user's identity, resolved once per request (it costs queries)."""
    request = context.get("request")
    if request is None:
        return identify(context.get("user"))
    identity = getattr(request, "_realtime_identity", None)
    if identity is None:
        identity = identify(getattr(request, "user", None))
        request._realtime_identity = identity
    return identity


def access_to(context: Mapping[str, Any], namespace: str) -> Access:
    return NAMESPACES[namespace].access(identity_of(context).role)


def may_see(context: Mapping[str, Any], namespace: str, owner: int | None = None) -> bool:
    """Whether the viewer sees events of ``namespace`` about ``owner`` (the matrix's rule)."""
    access = access_to(context, namespace)
    if access is Access.ALL:
        return True
    profile = identity_of(context).profile
    return (access is Access.OWN and profile is not None and owner is not None
            and int(owner) == profile.id)


# Values shown by the widgets (realtime/static/realtime/widgets/format.js mirrors them)


def json_state(value: Any) -> SafeString:
    """JSON for a ``<script type="application/json">`` element, escaped like json_script."""
    return mark_safe(json.dumps(value, cls=DjangoJSONEncoder).translate(_SCRIPT_ESCAPES))


@register.filter
def status_label(status: Any) -> str:
    """``"status_changed"`` → ``"Status changed"``; the JS widgets label the same way."""
    text = str(status or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@register.filter
def status_class(status: Any) -> str:
    """A CSS-safe modifier for a status (letters, digits, ``-``)."""
    return "".join(ch if ch.isalnum() else "-" for ch in str(status or "unknown").lower())


@register.filter
def clock(value: Any) -> str:
    """An ISO 8601 time (or datetime) as ``HH:MM:SS`` in the server's time zone."""
    moment = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return ""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return timezone.localtime(moment).strftime("%H:%M:%S")


def url_pattern(name: str) -> str:
    """The URL of a page taking one id, as ``/orders/{id}/``; "" when it does not exist."""
    try:
        return reverse(name, args=[987654321]).replace("987654321", "{id}")
    except NoReverseMatch:
        return ""


# Tags


def widget_context(context: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """An inclusion tag's context: the request travels along for nested widget tags."""
    return {"request": context.get("request"), "user": context.get("user"), **values}


@register.simple_tag(takes_context=True)
def realtime_role(context: template.Context) -> str:
    """The viewer's role: ``{% realtime_role as role %}``."""
    return identity_of(context).role


@register.simple_tag(takes_context=True)
def realtime_access(context: template.Context, namespace: str) -> str:
    """The viewer's access to a namespace, "all", "own" or "no":
    ``{% realtime_access "payments" as payments %}``."""
    return access_to(context, namespace).value


@register.inclusion_tag("realtime/widgets/scripts.html", takes_context=True)
def realtime_scripts(context: template.Context) -> dict[str, Any]:
    """The page's socket configuration and the widgets' entry module (once per page).

    ``since`` is ``realtime_since`` from the view's ``live_snapshot()`` or, without
    one, the log's newest id now.
    """
    identity = identity_of(context)
    since = context.get("realtime_since")
    config = {
        "url": SOCKET_PATH,
        "presenceUrl": PRESENCE_PATH,
        "role": identity.role,
        "userId": identity.user_id,
        "customerId": identity.profile.id if identity.profile else None,
        "namespaces": namespaces_for(identity.role),
        "since": since if isinstance(since, int) else latest_event_id(),
        "modules": [static(path) for path in widget_modules()],
        "timeZone": timezone.get_current_timezone_name(),
    }
    return widget_context(context, config=json_state(config))


@register.inclusion_tag("realtime/widgets/connection.html", takes_context=True)
def connection_indicator(context: template.Context) -> dict[str, Any]:
    """The socket's state (connecting, live, reconnecting, offline) with a retry button."""
    return widget_context(context)


def _bound_namespace(types: str) -> tuple[str, list[str]]:
    """The namespace of a space-separated list of event types; all must share it."""
    names = types.split()
    namespaces = {namespace_of(name).name for name in names}
    if len(namespaces) != 1:
        raise template.TemplateSyntaxError(
            f"live widgets take event types of one namespace, got {types!r}")
    return namespaces.pop(), names


@register.inclusion_tag("realtime/widgets/live_field.html", takes_context=True)
def live_field(context: template.Context, types: str, key: Any, value: Any, *,
               field: str, key_field: str = "id") -> dict[str, Any]:
    """One value of one row, live: ``{% live_field "ticket:updated" ticket.pk
    ticket.status field="status" %}``.

    Shows ``value`` now, then ``data[field]`` of each event of ``types`` whose
    ``data[key_field]`` is ``key``. Renders nothing for a viewer whose role does not
    see the namespace, or (owner-scoped) another owner's row: the socket would not
    get its events anyway.
    """
    namespace, names = _bound_namespace(types)
    owner = context.get("realtime_owner")
    visible = (access_to(context, namespace) is not Access.NONE
               and (owner is None or may_see(context, namespace, owner)))
    return widget_context(context, visible=visible, namespace=namespace, types=" ".join(names),
                 key=key, key_field=key_field, field=field, value=value)


@register.inclusion_tag("realtime/widgets/live_list.html", takes_context=True)
def live_list(context: template.Context, types: str, *, field: str, max_items: int = 10,
              items: Any = ()) -> dict[str, Any]:
    """The newest events of ``types``, ``data[field]`` of each, newest first:
    ``{% live_list "ticket:created" field="title" items=recent_titles %}``.

    ``items`` is what the page shows before any event arrives (newest first).
    """
    namespace, names = _bound_namespace(types)
    visible = access_to(context, namespace) is not Access.NONE
    return widget_context(context, visible=visible, namespace=namespace, types=" ".join(names),
                 field=field, max_items=max_items, items=list(items)[:max_items])


@register.inclusion_tag("realtime/widgets/notifications.html", takes_context=True)
def notifications(context: template.Context, *namespaces: str) -> dict[str, Any]:
    """Toasts (system notifications and alerts, and alerts of the namespaces named, as
    the demo's ``{% notifications "inventory" %}``) and the maintenance banner.

    Personal ``system:*`` events reach every signed-in user; a namespace is subscribed
    to only by roles that see it, and one no app registered is left out.
    """
    identity = identity_of(context)
    namespaces = [ns for ns in (*namespaces, "system")
                  if ns in NAMESPACES and NAMESPACES[ns].access(identity.role) is not Access.NONE]
    return widget_context(context, visible=identity.user_id is not None, namespaces=" ".join(namespaces))
