"""The project's own pages: sign in and out, the home redirect, and the live dashboard.

What a role may see is read from the realtime catalogue (``realtime.events``), the one
role matrix: the dashboard is for roles that see every order (admin, manager, staff),
and each of its panels is shown by its template tag only to roles that see its
namespace (no payments panel for staff, no system messages but for admin).
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from inventory.pages import product_names, stock_alerts
from orders.pages import sales_snapshot, sees_all_orders
from orders.permissions import access_of, identity_of
from realtime.events import Access
from realtime.templatetags.realtime import live_snapshot

TICKER_ITEMS = 10


class LoginView(auth_views.LoginView):
    """``/login/``: Django's login view; a signed-in visitor goes straight on."""

    template_name = "registration/login.html"
    redirect_authenticated_user = True


# ``/logout/``: POST only (Django 5), then LOGOUT_REDIRECT_URL. The server closes the
# user's sockets with 4500 when the session ends.
logout_view = auth_views.LogoutView.as_view()


def home(request: HttpRequest) -> HttpResponse:
    """``/``: the dashboard for roles that see every order, "my orders" for customers,
    the catalogue for other signed-in users, the login page for anonymous visitors."""
    if not request.user.is_authenticated:
        return redirect("login")
    if sees_all_orders(request):
        return redirect("dashboard")
    if identity_of(request).role == "customer":
        return redirect("order-list")
    return redirect("product-list")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """``/dashboard/``: live sales, customers, stock and notifications; 403 for roles
    that do not see every order (customers, guests)."""
    if not sees_all_orders(request):
        raise PermissionDenied("The dashboard is for roles that see every order.")
    show_payments = access_of(request, "payments") is not Access.NONE
    with live_snapshot() as since:
        sales = sales_snapshot(TICKER_ITEMS, payments=show_payments)
        alerts = stock_alerts() if access_of(request, "inventory") is not Access.NONE else []
        names = product_names()
    return render(request, "dashboard.html", {
        "sales": sales, "stock_alerts": alerts, "product_names": names,
        "realtime_since": since, "ticker_items": TICKER_ITEMS,
        "role": identity_of(request).role,
    })
