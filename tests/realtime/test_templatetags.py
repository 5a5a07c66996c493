"""``{% load realtime %}``: what each widget renders, for whom, and that data stays text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from inventory.models import Inventory, Product
from orders.events import order_payload
from orders.models import Customer, Order
from realtime.models import Event
from realtime.publish import emit
from realtime.templatetags import realtime as tags

# Committed for real: a page reads the log, which holds only committed events.
pytestmark = pytest.mark.django_db(transaction=True)

XSS = "<img src=x onerror=alert(1)>"
WIDGETS = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime" / "widgets"


def render(source: str, user: Any = None, **context: Any) -> str:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return Template("{% load realtime %}" + source).render(
        Context({"request": request, "user": request.user, **context}))


def state_of(html: str, widget: str) -> dict[str, Any]:
    """The JSON state a widget wrote for its module."""
    start = html.index(f'data-rt-widget="{widget}"')
    script = re.search(r'<script type="application/json" data-rt-state>(.*?)</script>',
                       html[start:], re.S)
    return json.loads(script.group(1))


@pytest.fixture
def alice_order(alice: Any) -> Order:
    return Order.objects.create(customer=alice.customer, total=Decimal("149.90"))


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
    assert '<span class="rt-stat__value" data-rt-part="revenue">149.90</span>' in html
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


# live_customer_count


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The customer ids presence reports as online (this process has no sockets)."""
    ids: list[int] = []

    async def online_customers() -> list[int]:
        return sorted(ids)

    monkeypatch.setattr(tags.presence, "online_customers", online_customers)
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


# inventory_alerts, notifications, connection, scripts


def test_inventory_alerts_for_roles_that_see_inventory(staff_user: Any, alice: Any) -> None:
    product = Product.objects.create(sku="LS-008", name=XSS, price=Decimal("39.90"))
    Inventory.objects.create(product=product, quantity=0, low_stock_threshold=5)
    items = [{"productId": product.pk, "sku": "LS-008", "name": XSS, "quantity": 0,
              "previousQuantity": 0, "threshold": 5}]
    html = render("{% inventory_alerts %}", staff_user, stock_alerts=items)
    assert "rt-stock--out" in html
    assert '<span class="panel__count" data-rt-part="stock-count">1</span>' in html
    assert XSS not in html
    assert render("{% inventory_alerts %}", alice, stock_alerts=items).strip() == ""


@pytest.mark.parametrize(("viewer", "namespaces"), [
    ("admin_user", "inventory system"), ("manager_user", "inventory"),
    ("staff_user", "inventory"), ("alice", ""),
])
def test_notifications_subscribe_what_the_role_sees(request: pytest.FixtureRequest, viewer: str,
                                                    namespaces: str) -> None:
    html = render('{% notifications "inventory" %}', request.getfixturevalue(viewer))
    assert f'data-namespaces="{namespaces}"' in html


def test_notifications_leave_out_namespaces_no_app_registered(admin_user: Any) -> None:
    html = render('{% notifications "tickets" %}', admin_user)
    assert 'data-namespaces="system"' in html


def test_notifications_not_for_anonymous_visitors() -> None:
    assert render("{% notifications %}").strip() == ""


def test_connection_indicator() -> None:
    html = render("{% connection_indicator %}")
    assert 'data-rt-widget="connection"' in html
    assert 'data-state="connecting"' in html


def test_scripts_config_names_role_namespaces_and_resume_point(alice: Any,
                                                               alice_order: Order) -> None:
    html = render("{% realtime_scripts %}", alice)
    config = json.loads(re.search(r'<script type="application/json" id="rt-config">(.*?)</script>',
                                  html).group(1))
    assert config["role"] == "customer"
    assert config["customerId"] == alice.customer.pk
    assert config["namespaces"] == ["orders", "products", "payments"]
    assert config["since"] == Event.objects.latest("id").pk
    assert config["url"] == "/api/ws"
    assert config["timeZone"] == "UTC"
    assert "realtime/widgets/boot.js" in html
    given = render("{% realtime_scripts %}", alice, realtime_since=3)
    assert '"since": 3' in given


def test_live_snapshot_yields_the_newest_event_id(alice_order: Order) -> None:
    with tags.live_snapshot() as since:
        assert since == Event.objects.latest("id").pk
    Event.objects.all().delete()
    with tags.live_snapshot() as since:
        assert since == 0


def test_role_and_access_tags(manager_user: Any) -> None:
    html = render('{% realtime_role as r %}{% realtime_access "system" as s %}'
                  '{% realtime_access "payments" as p %}{{ r }} {{ s }} {{ p }}', manager_user)
    assert html == "manager no all"


# Filters, and the same text in Python and in the widgets' JS


def test_filters() -> None:
    assert tags.status_label("status_changed") == "Status changed"
    assert tags.status_class("On hold") == "on-hold"
    assert tags.payment_label("completed") == "Received"
    assert tags.payment_label("failed") == "Failed"
    assert tags.clock("2026-11-26T10:11:12Z") == "10:11:12"
    assert tags.clock("nonsense") == ""


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
STATUSES = ["pending", "status_changed", "On hold", "", "x<y>"]

SCRIPT = """
const f = await import(process.argv[1]);
const [cases, statuses, products] = JSON.parse(process.argv[2]);
console.log(JSON.stringify({
  activity: cases.map(([type, data]) => f.describeActivity(type, data, products)),
  labels: statuses.map(f.statusLabel),
  classes: statuses.map(f.statusClass),
}));
"""


def test_python_and_js_render_the_same_text() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot compare with "
                    "realtime/static/realtime/widgets/format.js")
    products = {"3": "Laptop Stand"}
    result = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT, (WIDGETS / "format.js").as_uri(),
         json.dumps([ACTIVITY_CASES, STATUSES, products])],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    js = json.loads(result.stdout)
    assert js["activity"] == [tags.describe_activity(t, d, products) for t, d in ACTIVITY_CASES]
    assert js["labels"] == [tags.status_label(s) for s in STATUSES]
    assert js["classes"] == [tags.status_class(s) for s in STATUSES]


# The generic live tags a host binds to its own event types


def test_live_field_binds_a_row_value_to_event_types(staff_user: Any) -> None:
    html = render('{% live_field "order:updated order:status_changed" 7 "pending" '
                  'field="status" %}', staff_user)
    assert 'data-rt-widget="live-field"' in html
    assert 'data-rt-namespace="orders"' in html
    assert 'data-rt-types="order:updated order:status_changed"' in html
    assert 'data-rt-key="7" data-rt-key-field="id" data-rt-field="status"' in html
    assert ">pending</span>" in html


def test_live_field_escapes_its_value_and_hides_from_roles_without_access(
        staff_user: Any) -> None:
    html = render('{% live_field "order:updated" 7 value field="status" %}', staff_user,
                  value=XSS)
    assert XSS not in html and "&lt;img" in html
    assert render('{% live_field "order:updated" 7 "x" field="status" %}') == "\n"  # guest


def test_live_field_of_another_owners_row_renders_nothing(alice: Any, bob: Any) -> None:
    source = '{% live_field "order:updated" 7 "x" field="status" %}'
    assert "live-field" in render(source, alice, realtime_owner=alice.customer.pk)
    assert "live-field" not in render(source, alice, realtime_owner=bob.customer.pk)


def test_live_list_shows_the_initial_items_newest_first(staff_user: Any) -> None:
    html = render('{% live_list "product:created" field="name" max_items=2 items=names %}',
                  staff_user, names=["Lamp", "Desk", XSS])
    assert 'data-rt-widget="live-list"' in html and 'data-rt-max="2"' in html
    assert html.count("<li") == 2 and XSS not in html


def test_live_tags_refuse_types_of_several_namespaces(staff_user: Any) -> None:
    from django.template import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError, match="one namespace"):
        render('{% live_list "order:created product:created" field="id" %}', staff_user)
