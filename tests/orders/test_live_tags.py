"""``{% load orders_live %}``: the order badge, the sales ticker and the customer count,
for whom they render, and that data stays text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from typing import Any

import pytest

from orders.events import order_payload
from orders.models import Customer, Order
from orders.templatetags import orders_live as live
from realtime.publish import emit
from tests.support.templates import ROOT, XSS, state_of
from tests.support.templates import render as render_tag

# Committed for real: a page reads the log, which holds only committed events.
pytestmark = pytest.mark.django_db(transaction=True)

FORMAT_JS = ROOT / "orders" / "static" / "orders" / "widgets" / "format.js"
# Resolves orders' imports of realtime's modules as the static files are laid out.
STATIC_LAYOUT = ROOT / "tests" / "js" / "static_layout.mjs"


def render(source: str, user: Any = None, **context: Any) -> str:
    return render_tag(source, user, load="realtime orders_live", **context)


@pytest.fixture
def alice_order(alice: Any) -> Order:
    return Order.objects.create(customer=alice.customer, total=Decimal("149.90"))


def test_payment_label() -> None:
    assert live.payment_label("completed") == "Received"
    assert live.payment_label("failed") == "Failed"


# order_status_badge


@pytest.mark.parametrize("viewer", ["admin_user", "manager_user", "staff_user", "alice"])
def test_badge_for_roles_that_see_the_order(request: pytest.FixtureRequest, viewer: str,
                                            alice_order: Order) -> None:
    html = render("{% order_status_badge order %}", request.getfixturevalue(viewer),
                  order=alice_order)
    assert 'data-rt-widget="order-status"' in html
    assert f'data-order-id="{alice_order.pk}"' in html
    assert 'data-status="pending"' in html
    assert "rt-badge--pending" in html
    assert ">Pending<" in html


@pytest.mark.parametrize("viewer", ["bob", "guest_user", None])
def test_badge_renders_nothing_for_anyone_else(request: pytest.FixtureRequest, viewer: str | None,
                                               alice_order: Order) -> None:
    user = request.getfixturevalue(viewer) if viewer else None
    assert render("{% order_status_badge order %}", user, order=alice_order).strip() == ""


def test_badge_takes_a_payload_and_escapes_it(alice: Any, alice_order: Order) -> None:
    payload = {**order_payload(alice_order), "status": XSS}
    html = render("{% order_status_badge order %}", alice, order=payload)
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'class="rt-badge rt-badge---img-src-x-onerror-alert-1--"' in html


# live_sales_ticker


def sales(*orders: Order, payments: list[dict] | None = None) -> dict[str, Any]:
    return {"orders": [order_payload(o) for o in orders], "payments": payments or [],
            "revenue": "149.90", "ordersToday": 1, "day": "2026-11-26",
            "excluded": ["cancelled", "refunded"]}


def test_ticker_rows_revenue_and_state(staff_user: Any, alice_order: Order) -> None:
    html = render("{% live_sales_ticker max_items=5 %}", staff_user, sales=sales(alice_order))
    assert 'data-rt-widget="sales-ticker"' in html
    assert '<span class="rt-stat__value" data-rt-part="revenue">$149.90</span>' in html
    assert f'href="/orders/{alice_order.pk}/"' in html
    assert 'data-order-url="/orders/{id}/"' in html
    assert html.count('data-rt-widget="order-status"') == 1, "each row has its live badge"
    state = state_of(html, "sales-ticker")
    assert state["maxItems"] == 5
    assert state["revenue"] == "149.90"
    assert [o["id"] for o in state["orders"]] == [alice_order.pk]


def test_ticker_payments_panel_follows_the_role_matrix(staff_user: Any, manager_user: Any,
                                                       alice_order: Order) -> None:
    payment = {"id": 1, "orderId": alice_order.pk, "customerId": 1, "amount": "1.00",
               "method": "card", "status": "completed"}
    data = sales(alice_order, payments=[payment])
    staff = render("{% live_sales_ticker %}", staff_user, sales=data)
    manager = render("{% live_sales_ticker %}", manager_user, sales=data)
    assert 'data-rt-part="payments-panel"' not in staff
    assert state_of(staff, "sales-ticker")["payments"] == []
    assert 'data-rt-part="payments-panel"' in manager
    assert "Received" in manager
    assert state_of(manager, "sales-ticker")["showPayments"] is True


def test_ticker_is_not_for_customers(alice: Any, alice_order: Order) -> None:
    assert render("{% live_sales_ticker %}", alice, sales=sales(alice_order)).strip() == ""


def test_ticker_escapes_names_in_markup_and_in_its_json(staff_user: Any) -> None:
    customer = Customer.objects.create(name=XSS)
    order = Order.objects.create(customer=customer, total=Decimal("1.00"))
    html = render("{% live_sales_ticker %}", staff_user, sales=sales(order))
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\u003Cimg src=x onerror=alert(1)\\u003E" in html
    assert state_of(html, "sales-ticker")["orders"][0]["customerName"] == XSS


# live_sales_chart

MINUTES = [{"minute": "2026-11-26T10:42:00Z", "orders": 2, "revenue": "47829.07"}]


@pytest.mark.parametrize("viewer", ["staff_user", "manager_user", "admin_user"])
def test_chart_for_roles_that_see_todays_revenue(request: pytest.FixtureRequest, viewer: str,
                                                 alice_order: Order) -> None:
    html = render("{% live_sales_chart %}", request.getfixturevalue(viewer),
                  sales={**sales(alice_order), "perMinute": MINUTES})
    assert 'data-rt-widget="sales-chart"' in html and 'data-currency="USD"' in html
    assert 'data-rt-part="chart-empty" hidden' in html
    state = state_of(html, "sales-chart")
    assert state["minutes"] == MINUTES and state["showRevenue"] is True
    assert [o["id"] for o in state["orders"]] == [alice_order.pk]


@pytest.mark.parametrize("viewer", ["alice", "guest_user", None])
def test_chart_shows_no_figures_to_anyone_else(request: pytest.FixtureRequest, viewer: str | None,
                                               alice_order: Order) -> None:
    user = request.getfixturevalue(viewer) if viewer else None
    html = render("{% live_sales_chart %}", user, sales={**sales(alice_order), "perMinute": MINUTES})
    assert html.strip() == ""


def test_chart_without_orders_says_so(staff_user: Any) -> None:
    html = render("{% live_sales_chart %}", staff_user, sales={"perMinute": []})
    assert 'data-rt-part="chart-empty">' in html


# live_customer_count


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The customer ids presence reports as online (this process has no sockets)."""
    ids: list[int] = []

    async def online_customers() -> list[int]:
        return sorted(ids)

    monkeypatch.setattr(live.presence, "online_customers", online_customers)
    return ids


def test_customer_count_from_presence_with_names_and_feed(staff_user: Any, alice: Any,
                                                          online: list[int]) -> None:
    cid = alice.customer.pk
    emit("customer:online", {"customerId": cid, "customerName": "Alice Martin"})
    emit("customer:viewing_product", {"customerId": cid, "customerName": "Alice Martin",
                                      "action": "viewing_product", "productId": 3,
                                      "quantity": None})
    online.append(cid)
    html = render("{% live_customer_count show_details=True %}", staff_user,
                  product_names={3: "Laptop Stand"})
    assert '<span class="rt-stat__value" data-rt-part="count">1</span>' in html
    assert f'<li class="rt-chip" data-customer-id="{cid}">Alice Martin</li>' in html
    feed = re.findall(r'<span class="rt-feed__text">(.*?)</span>', html)
    assert feed == ["Alice Martin is viewing Laptop Stand", "Alice Martin came online"]
    state = state_of(html, "customer-count")
    assert state["online"] == [{"id": cid, "name": "Alice Martin"}]
    assert state["products"] == {"3": "Laptop Stand"}


def test_customer_count_without_details_and_unknown_names(staff_user: Any,
                                                          online: list[int]) -> None:
    online.append(99)
    html = render("{% live_customer_count show_details=False %}", staff_user)
    assert "Customer #99" in html
    assert 'data-rt-part="feed"' not in html


def test_customer_count_is_not_for_customers(alice: Any, online: list[int]) -> None:
    assert render("{% live_customer_count %}", alice).strip() == ""


def test_customer_count_escapes_names(staff_user: Any, online: list[int]) -> None:
    emit("customer:online", {"customerId": 5, "customerName": XSS})
    online.append(5)
    html = render("{% live_customer_count %}", staff_user)
    assert XSS not in html
    assert "&lt;img src=x onerror=alert(1)&gt; came online" in html


ACTIVITY_CASES = [
    ("customer:online", {"customerId": 1, "customerName": "Ann"}),
    ("customer:offline", {"customerId": 1, "customerName": "Ann"}),
    ("customer:viewing_product", {"customerId": 1, "customerName": "Ann", "productId": 3}),
    ("customer:viewing_product", {"customerId": 1, "customerName": "Ann", "productId": 9}),
    ("customer:added_to_cart", {"customerId": 2, "customerName": XSS, "productId": 3,
                                "quantity": 2}),
    ("customer:added_to_cart", {"customerId": 2, "customerName": "", "productId": 3}),
    ("customer:activity", {"customerId": 4}),
]

SCRIPT = """
const f = await import(process.argv[1]);
const [cases, products] = JSON.parse(process.argv[2]);
console.log(JSON.stringify({
  activity: cases.map(([type, data]) => f.describeActivity(type, data, products)),
}));
"""


def test_python_and_js_describe_activity_the_same() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot compare with "
                    "orders/static/orders/widgets/format.js")
    products = {"3": "Laptop Stand"}
    result = subprocess.run(
        [node, "--import", STATIC_LAYOUT.as_uri(), "--input-type=module", "-e", SCRIPT,
         FORMAT_JS.as_uri(),
         json.dumps([ACTIVITY_CASES, products])],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    js = json.loads(result.stdout)
    assert js["activity"] == [live.describe_activity(t, d, products) for t, d in ACTIVITY_CASES]


