"""Omni Sales' order widgets: ``{% load orders_live %}``.

The order status badge, the live sales ticker and the live customer count, kept
live by their ES modules over the page's one socket. Built on realtime's generic
widget helpers (``realtime.templatetags.realtime``): who sees what comes from the
realtime registry, where orders/realtime.py declared these namespaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asgiref.sync import async_to_sync
from django import template

from realtime import presence
from realtime.events import Access
from realtime.models import Event
from realtime.templatetags.realtime import (
    access_to,
    json_state,
    may_see,
    status_label,
    url_pattern,
    widget_context,
)

register = template.Library()


@register.filter
def payment_label(status: Any) -> str:
    """A payment's status as the ticker shows it: ``completed`` is "Received"."""
    return "Received" if status == "completed" else status_label(status)



def describe_activity(event_type: str, payload: Mapping[str, Any],
                      products: Mapping[str, str]) -> str:
    """One line of the activity feed, e.g. "Alice Martin is viewing Laptop Stand"."""
    name = payload.get("customerName") or f"Customer #{payload.get('customerId')}"
    product_id = payload.get("productId")
    product = products.get(str(product_id)) or f"product #{product_id}"
    action = event_type.partition(":")[2]
    if action == "online":
        return f"{name} came online"
    if action == "offline":
        return f"{name} went offline"
    if action == "viewing_product":
        return f"{name} is viewing {product}"
    if action == "added_to_cart":
        return f"{name} added {payload.get('quantity') or 1} × {product} to the cart"
    return f"{name} is active"



@register.inclusion_tag("orders/widgets/order_status_badge.html", takes_context=True)
def order_status_badge(context: template.Context, order: Any) -> dict[str, Any]:
    """An order's status, kept live by ``order:updated``/``order:status_changed``.

    ``order`` is an Order-like object (``pk``, ``status``, ``customer_id``) or an
    orders payload (``id``, ``status``, ``customerId``). Renders nothing unless the
    viewer sees that order: every order for admin/manager/staff, a customer only
    their own.
    """
    if isinstance(order, Mapping):
        order_id, status, owner = order.get("id"), order.get("status"), order.get("customerId")
    else:
        order_id = getattr(order, "pk", None)
        status = getattr(order, "status", None)
        owner = getattr(order, "customer_id", None)
    visible = order_id is not None and may_see(context, "orders", owner)
    return widget_context(context, visible=visible, order_id=order_id, status=status)



@register.inclusion_tag("orders/widgets/live_customer_count.html", takes_context=True)
def live_customer_count(context: template.Context, show_details: bool = True,
                        max_items: int = 8) -> dict[str, Any]:
    """Customers online now and, with ``show_details``, the recent activity feed.

    The count is ``realtime.presence`` (what ``GET /api/ws/presence`` answers), then
    ``customer:online``/``customer:offline``; the feed is the newest ``customers``
    events of the log, then live ones. Product names come from ``product_names``
    ({id: name}) in the context when the view provides it. Only for roles that see
    the customers namespace.
    """
    if access_to(context, "customers") is Access.NONE:
        return widget_context(context, visible=False)
    online_ids = async_to_sync(presence.online_customers)()
    products = {str(k): v for k, v in (context.get("product_names") or {}).items()}
    recent = list(Event.objects.filter(namespace="customers").order_by("-id")[:max_items])
    activity = [{**e.payload, "type": e.type, "id": e.pk, "ts": e.created_at} for e in recent]
    names = _customer_names(online_ids, recent)
    online = [{"id": cid, "name": names.get(cid, f"Customer #{cid}")} for cid in online_ids]
    for item in activity:
        item["text"] = describe_activity(item["type"], item, products)
    state = {"online": online, "activity": activity, "products": products,
             "maxItems": max_items, "showDetails": bool(show_details)}
    return widget_context(context, visible=True, count=len(online), online=online,
                 activity=activity if show_details else [], show_details=show_details,
                 state=json_state(state))


def _customer_names(ids: list[int], recent: list[Event]) -> dict[int, str]:
    """Names of online customers from their newest events in the log."""
    names = {e.payload.get("customerId"): e.payload.get("customerName") for e in recent}
    missing = [cid for cid in ids if not names.get(cid)]
    if missing:
        rows = (Event.objects.filter(namespace="customers", payload__customerId__in=missing)
                .order_by("id").values_list("payload", flat=True))
        names.update({p.get("customerId"): p.get("customerName") for p in rows})
    return {cid: name for cid, name in names.items() if name}



@register.inclusion_tag("orders/widgets/live_sales_ticker.html", takes_context=True)
def live_sales_ticker(context: template.Context, max_items: int = 10,
                      sales: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Latest orders, today's revenue and, for roles that see payments, payments.

    ``sales`` (default: ``sales`` in the context) is the view's snapshot:
    ``orders`` and ``payments`` (protocol payloads, newest first), ``revenue`` (a
    decimal string), ``ordersToday``, ``day`` (ISO date) — see
    ``orders.pages.sales_snapshot`` for what counts as revenue; the JS applies the
    same rule to ``order:*`` events. Only for roles that see every order.
    """
    if access_to(context, "orders") is not Access.ALL:
        return widget_context(context, visible=False)
    sales = sales if sales is not None else (context.get("sales") or {})
    show_payments = access_to(context, "payments") is not Access.NONE
    order_url = url_pattern("order-detail")
    orders = [{**order, "url": order_url.replace("{id}", str(order["id"])) if order_url else ""}
              for order in list(sales.get("orders") or [])[:max_items]]
    payments = list(sales.get("payments") or [])[:max_items] if show_payments else []
    state = {"orders": orders, "payments": payments, "revenue": sales.get("revenue", "0.00"),
             "ordersToday": sales.get("ordersToday", 0), "day": sales.get("day"),
             "excluded": list(sales.get("excluded") or []), "maxItems": max_items,
             "showPayments": show_payments}
    return widget_context(context, visible=True, orders=orders, payments=payments, order_url=order_url,
                 show_payments=show_payments, revenue=state["revenue"],
                 orders_today=state["ordersToday"], state=json_state(state))



@register.inclusion_tag("orders/widgets/live_sales_chart.html", takes_context=True)
def live_sales_chart(context: template.Context,
                     sales: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Today's orders and revenue per minute as a chart, kept live by ``order:*``.

    ``sales`` (default: ``sales`` in the context) is ``orders.pages.sales_snapshot``:
    ``perMinute`` buckets, ``orders`` (so their events are not counted twice), ``day``
    and ``excluded``. Shown to the roles that see today's revenue in the ticker (those
    that see every order); nothing, not even the figures in the page's JSON, for others.
    """
    if access_to(context, "orders") is not Access.ALL:
        return widget_context(context, visible=False)
    sales = sales if sales is not None else (context.get("sales") or {})
    minutes = list(sales.get("perMinute") or [])
    state = {"minutes": minutes, "orders": list(sales.get("orders") or []),
             "day": sales.get("day"), "excluded": list(sales.get("excluded") or []),
             "showRevenue": True}
    return widget_context(context, visible=True, minutes=minutes, state=json_state(state))
