"""``{% load realtime %}``: the generic widgets, for whom they render, and that data
stays text. The demo's order and stock widgets are tested in tests/orders and
tests/inventory."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orders.models import Order
from realtime.models import Event
from realtime.templatetags import realtime as tags
from tests.support.templates import XSS, render

# Committed for real: a page reads the log, which holds only committed events.
pytestmark = pytest.mark.django_db(transaction=True)

WIDGETS = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime" / "widgets"


@pytest.fixture
def alice_order(alice: Any) -> Order:
    return Order.objects.create(customer=alice.customer, total=Decimal("149.90"))


# inventory_alerts, notifications, connection, scripts


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
    assert tags.clock("2026-11-26T10:11:12Z") == "10:11:12"
    assert tags.clock("nonsense") == ""


STATUSES = ["pending", "status_changed", "On hold", "", "x<y>"]

SCRIPT = """
const f = await import(process.argv[1]);
const statuses = JSON.parse(process.argv[2]);
console.log(JSON.stringify({labels: statuses.map(f.statusLabel),
                            classes: statuses.map(f.statusClass)}));
"""


def test_python_and_js_label_statuses_the_same() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot compare with widgets/format.js")
    result = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT, (WIDGETS / "format.js").as_uri(),
         json.dumps(STATUSES)], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    js = json.loads(result.stdout)
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
