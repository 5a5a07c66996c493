"""The project's pages: login/logout, the home redirect, the dashboard per role, and a
customer's orders (their own only; another's is a 404)."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Customer, Order, Payment
from orders.pages import revenue_today, sales_per_minute, sales_snapshot
from realtime.models import Event
from tests.conftest import USER_PASSWORD

# Committed for real: a page reads the log, which holds only committed events.
pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def as_(client: Client, request: pytest.FixtureRequest) -> Any:
    """``as_("alice")``: the test client, logged in as that fixture's user."""

    def login(fixture: str) -> Client:
        client.force_login(request.getfixturevalue(fixture))
        return client

    return login


def config_of(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="rt-config">(.*?)</script>', html)
    return json.loads(found.group(1))


# Login, logout, home


def test_login_through_the_form_then_home_leads_to_the_dashboard(client: Client,
                                                                 staff_user: Any) -> None:
    page = client.get("/login/")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="csrfmiddlewaretoken"' in page.text
    assert 'id="rt-config"' not in page.text, "no socket on the login page"
    response = client.post("/login/", {"username": "staff", "password": USER_PASSWORD},
                           follow=True)
    assert response.redirect_chain == [("/", 302), ("/dashboard/", 302)]
    assert response.status_code == 200


def test_login_with_a_wrong_password_stays_on_the_form(client: Client, staff_user: Any) -> None:
    response = client.post("/login/", {"username": "staff", "password": "nope"})
    assert response.status_code == 200
    assert 'class="form-error"' in response.text


def test_logout_is_a_post(as_: Any) -> None:
    client = as_("alice")
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/orders/")["Location"].startswith("/login/")


@pytest.mark.parametrize(("fixture", "target"), [
    ("admin_user", "/dashboard/"), ("manager_user", "/dashboard/"), ("staff_user", "/dashboard/"),
    ("alice", "/orders/"), ("guest_user", "/products/"),
])
def test_home_redirects_by_role(as_: Any, fixture: str, target: str) -> None:
    response = as_(fixture).get("/")
    assert response.status_code == 302 and response["Location"] == target


def test_home_sends_anonymous_visitors_to_login(client: Client) -> None:
    assert client.get("/")["Location"] == "/login/"


# Dashboard


@pytest.mark.parametrize("fixture", ["alice", "guest_user"])
def test_dashboard_is_forbidden_to_customers_and_guests(as_: Any, fixture: str) -> None:
    response = as_(fixture).get("/dashboard/")
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_dashboard_asks_anonymous_visitors_to_log_in(client: Client) -> None:
    assert client.get("/dashboard/")["Location"] == "/login/?next=/dashboard/"


@pytest.mark.parametrize(("fixture", "payments", "system"), [
    ("admin_user", True, True), ("manager_user", True, False), ("staff_user", False, False),
])
def test_dashboard_panels_follow_the_role_matrix(as_: Any, fixture: str, payments: bool,
                                                 system: bool) -> None:
    html = as_(fixture).get("/dashboard/").text
    for widget in ("sales-ticker", "customer-count", "inventory-alerts", "notifications",
                   "connection"):
        assert f'data-rt-widget="{widget}"' in html
    assert ('data-rt-part="payments-panel"' in html) is payments
    assert ("payments" in config_of(html)["namespaces"]) is payments
    assert ("system" in config_of(html)["namespaces"]) is system
    assert 'data-testid="current-role"' in html


def test_dashboard_shows_revenue_orders_and_resume_point(as_: Any, alice: Any, bob: Any) -> None:
    Order.objects.create(customer=alice.customer, total=Decimal("100.00"))
    Order.objects.create(customer=bob.customer, total=Decimal("20.50"), status="confirmed")
    Order.objects.create(customer=bob.customer, total=Decimal("999.00"), status="cancelled")
    html = as_("manager_user").get("/dashboard/").text
    assert '<span class="rt-stat__value" data-rt-part="revenue">$120.50</span>' in html
    assert '<span class="rt-stat__value" data-rt-part="orders-today">2</span>' in html
    assert html.count('class="rt-row" data-order-id=') == 3
    assert config_of(html)["since"] == Event.objects.latest("id").pk


def test_dashboard_escapes_customer_names(as_: Any) -> None:
    Order.objects.create(customer=Customer.objects.create(name=XSS), total=Decimal("1.00"))
    html = as_("staff_user").get("/dashboard/").text
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# Revenue


def test_revenue_today_counts_todays_orders_except_cancelled_and_refunded(alice: Any) -> None:
    customer = alice.customer
    for status, total in [("pending", "10.00"), ("delivered", "5.25"), ("cancelled", "100.00"),
                          ("refunded", "200.00")]:
        Order.objects.create(customer=customer, status=status, total=Decimal(total))
    yesterday = Order.objects.create(customer=customer, total=Decimal("7.00"))
    Order.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(days=1))
    assert revenue_today() == (Decimal("15.25"), 2)


def test_revenue_today_is_zero_without_orders() -> None:
    assert revenue_today() == (Decimal("0.00"), 0)


def test_sales_per_minute_buckets_todays_counted_orders(alice: Any) -> None:
    customer = alice.customer
    now = timezone.now().replace(second=30, microsecond=0)
    if timezone.localtime(now).hour == 0 and timezone.localtime(now).minute < 3:
        now += timedelta(minutes=3)  # the buckets below stay on one day
    at = {0: now - timedelta(minutes=2), 1: now - timedelta(minutes=2, seconds=20), 2: now}
    rows = [("pending", "10.00", 0), ("delivered", "5.25", 1), ("cancelled", "100.00", 0),
            ("shipped", "2.50", 2)]
    for status, total, minute in rows:
        order = Order.objects.create(customer=customer, status=status, total=Decimal(total))
        Order.objects.filter(pk=order.pk).update(created_at=at[minute])
    yesterday = Order.objects.create(customer=customer, total=Decimal("7.00"))
    Order.objects.filter(pk=yesterday.pk).update(created_at=now - timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        buckets = sales_per_minute(now)
    assert len(queries) == 1, "one grouped query"
    minute = lambda t: t.replace(second=0).astimezone(UTC).isoformat().replace("+00:00", "Z")  # noqa: E731
    assert buckets == [
        {"minute": minute(at[0]), "orders": 2, "revenue": "15.25"},
        {"minute": minute(at[2]), "orders": 1, "revenue": "2.50"},
    ]
    assert sum(b["orders"] for b in buckets) == revenue_today(now)[1]


def test_sales_snapshot(alice: Any) -> None:
    orders = [Order.objects.create(customer=alice.customer, total=Decimal("2.00"))
              for _ in range(3)]
    Payment.objects.create(order=orders[0], amount=Decimal("2.00"), status="completed")
    Payment.objects.create(order=orders[1], amount=Decimal("2.00"))  # pending: not news
    snapshot = sales_snapshot(max_items=2)
    assert [o["id"] for o in snapshot["orders"]] == [orders[2].pk, orders[1].pk]
    assert [p["status"] for p in snapshot["payments"]] == ["completed"]
    assert snapshot["revenue"] == "6.00" and snapshot["ordersToday"] == 3
    assert snapshot["day"] == timezone.localdate().isoformat()
    assert snapshot["excluded"] == ["cancelled", "refunded"]
    assert sum(b["orders"] for b in snapshot["perMinute"]) == 3
    assert sales_snapshot(payments=False)["payments"] == []


# A customer's orders


@pytest.fixture
def orders(alice: Any, bob: Any) -> dict[str, Order]:
    return {"alice": Order.objects.create(customer=alice.customer, total=Decimal("149.90")),
            "bob": Order.objects.create(customer=bob.customer, total=Decimal("20.00"))}


def test_my_orders_lists_only_mine(as_: Any, orders: dict[str, Order]) -> None:
    html = as_("alice").get("/orders/").text
    assert "My orders" in html
    assert f'href="/orders/{orders["alice"].pk}/"' in html
    assert f'href="/orders/{orders["bob"].pk}/"' not in html
    assert html.count('data-rt-widget="order-status"') == 1


def test_my_order_page_has_its_live_badge(as_: Any, orders: dict[str, Order]) -> None:
    order = orders["alice"]
    Payment.objects.create(order=order, amount=order.total, status="failed", reason=XSS)
    response = as_("alice").get(f"/orders/{order.pk}/")
    assert response.status_code == 200
    assert f'data-rt-widget="order-status" data-order-id="{order.pk}"' in response.text
    assert "149.90" in response.text and "Failed" in response.text
    assert XSS not in response.text
    assert config_of(response.text)["since"] == Event.objects.latest("id").pk


def test_another_customers_order_is_404(as_: Any, orders: dict[str, Order]) -> None:
    response = as_("alice").get(f"/orders/{orders['bob'].pk}/")
    assert response.status_code == 404
    assert "Bob Chen" not in response.text and "20.00" not in response.text
    assert as_("alice").get("/orders/999999/").status_code == 404


@pytest.mark.parametrize("fixture", ["admin_user", "manager_user", "staff_user"])
def test_staff_roles_view_any_order(as_: Any, fixture: str, orders: dict[str, Order]) -> None:
    client = as_(fixture)
    assert client.get(f"/orders/{orders['bob'].pk}/").status_code == 200
    listing = client.get("/orders/").text
    assert "Bob Chen" in listing and "Alice Martin" in listing


def test_staff_do_not_see_payments_on_an_order(as_: Any, orders: dict[str, Order]) -> None:
    Payment.objects.create(order=orders["bob"], amount=Decimal("20.00"), status="completed")
    assert "Payments" not in as_("staff_user").get(f"/orders/{orders['bob'].pk}/").text
    assert "Payments" in as_("manager_user").get(f"/orders/{orders['bob'].pk}/").text


def test_guests_see_no_orders(as_: Any, orders: dict[str, Order]) -> None:
    client = as_("guest_user")
    assert client.get(f"/orders/{orders['alice'].pk}/").status_code == 404


def test_order_pages_ask_anonymous_visitors_to_log_in(client: Client,
                                                      orders: dict[str, Order]) -> None:
    response = client.get(f"/orders/{orders['alice'].pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
