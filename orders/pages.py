"""HTML pages of the orders app: a customer's orders, one order with its live badge,
and the sales figures the dashboard starts from.

Who sees which order comes from the realtime role matrix (``realtime.events``), as in
the REST API: roles that see all orders see any, a customer only their own; another
customer's order is a 404, which does not even confirm that it exists.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMinute
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from realtime.events import Access
from realtime.templatetags.realtime import live_snapshot

from .events import order_payload, payment_payload
from .formats import iso_utc, money
from .models import Order, Payment
from .permissions import access_of, identity_of

# The usual life of an order, shown as steps on its page (cancelled/refunded leave it).
LIFECYCLE = [str(status) for status in (Order.Status.PENDING, Order.Status.CONFIRMED,
                                        Order.Status.PROCESSING, Order.Status.SHIPPED,
                                        Order.Status.DELIVERED)]
# Orders in these statuses are not revenue
# (realtime/static/realtime/widgets/format.js: NOT_REVENUE).
EXCLUDED_FROM_REVENUE = (Order.Status.CANCELLED, Order.Status.REFUNDED)


def today_range(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and end of the current day in the server's time zone (``TIME_ZONE``)."""
    now = timezone.localtime(now or timezone.now())
    start = timezone.make_aware(datetime.combine(now.date(), time.min), now.tzinfo)
    return start, start + timedelta(days=1)


def revenue_today(now: datetime | None = None) -> tuple[Decimal, int]:
    """Today's revenue and the number of orders it sums.

    What counts: the ``total`` of every order whose ``created_at`` falls on the current
    day in the server's time zone, whatever its channel, unless its status is
    ``cancelled`` or ``refunded``. Payments do not enter into it: an order counts from
    the moment it is created, paid or not. The dashboard's ticker applies the same rule
    to ``order:created``, ``order:updated``, ``order:status_changed`` and
    ``order:deleted`` events (RevenueTracker in realtime/static/realtime/widgets/state.js).
    """
    start, end = today_range(now)
    totals = (Order.objects.filter(created_at__gte=start, created_at__lt=end)
              .exclude(status__in=EXCLUDED_FROM_REVENUE)
              .aggregate(revenue=Sum("total"), count=Count("id")))
    return totals["revenue"] or Decimal("0.00"), totals["count"]


def sales_per_minute(now: datetime | None = None) -> list[dict[str, Any]]:
    """Today's orders and revenue per minute, oldest first, with ``revenue_today``'s rule:
    ``[{"minute": ISO UTC, "orders": 3, "revenue": "120.00"}, …]``, minutes without
    orders left out. One grouped query (TruncMinute) however many orders the day has."""
    start, end = today_range(now)
    rows = (Order.objects.filter(created_at__gte=start, created_at__lt=end)
            .exclude(status__in=EXCLUDED_FROM_REVENUE)
            .annotate(minute=TruncMinute("created_at")).values("minute")
            .annotate(orders=Count("id"), revenue=Sum("total")).order_by("minute"))
    return [{"minute": iso_utc(row["minute"]), "orders": row["orders"],
             "revenue": money(row["revenue"])} for row in rows]


def sales_snapshot(max_items: int = 10, payments: bool = True,
                   now: datetime | None = None) -> dict[str, Any]:
    """The state ``{% live_sales_ticker %}`` starts from: the latest orders and payments
    (protocol payloads, newest first), today's revenue and order count (``revenue_today``)
    and per minute (``sales_per_minute``, for ``{% live_sales_chart %}``).
    Read it inside ``live_snapshot()`` so the page resumes from the right event."""
    revenue, count = revenue_today(now)
    orders = Order.objects.select_related("customer").order_by("-created_at", "-id")
    recent_payments: list[dict[str, Any]] = []
    if payments:
        settled = (Payment.objects.select_related("order")
                   .exclude(status=Payment.Status.PENDING).order_by("-created_at", "-id"))
        recent_payments = [payment_payload(p) for p in settled[:max_items]]
    return {
        "orders": [order_payload(order) for order in orders[:max_items]],
        "payments": recent_payments,
        "revenue": money(revenue),
        "ordersToday": count,
        "day": timezone.localdate(now).isoformat(),
        "excluded": [str(status) for status in EXCLUDED_FROM_REVENUE],
        "perMinute": sales_per_minute(now),
    }


def visible_orders(request: HttpRequest) -> QuerySet[Order]:
    """The orders the caller's role sees: all, their own, or none."""
    orders = Order.objects.select_related("customer")
    access = access_of(request, "orders")
    if access is Access.ALL:
        return orders
    profile = identity_of(request).profile
    if access is Access.OWN and profile is not None:
        return orders.filter(customer_id=profile.id)
    return orders.none()


def _payments_of(request: HttpRequest, order: Order) -> list[Payment]:
    if access_of(request, "payments") is Access.NONE:
        return []
    return list(order.payments.order_by("created_at", "id"))


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    """``/orders/``: a customer's own orders (all orders, newest 50, for staff roles)."""
    with live_snapshot() as since:
        orders = list(visible_orders(request).order_by("-created_at", "-id")[:50])
    return render(request, "orders/order_list.html", {
        "orders": orders, "realtime_since": since,
        "all_orders": access_of(request, "orders") is Access.ALL,
    })


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/orders/<id>/``: one order with its live status badge; 404 if not the caller's."""
    with live_snapshot() as since:
        order = get_object_or_404(visible_orders(request), pk=pk)
        payments = _payments_of(request, order)
    return render(request, "orders/order_detail.html", {
        "order": order, "payments": payments, "realtime_since": since, "steps": LIFECYCLE,
        "show_payments": access_of(request, "payments") is not Access.NONE,
    })


def sees_all_orders(request: HttpRequest) -> bool:
    return access_of(request, "orders") is Access.ALL

