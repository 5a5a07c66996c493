"""``{% load inventory_live %}``: the stock alerts widget, for whom it renders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from inventory.models import Inventory, Product
from tests.support.templates import XSS
from tests.support.templates import render as render_tag

pytestmark = pytest.mark.django_db(transaction=True)


def render(source: str, user: Any = None, **context: Any) -> str:
    return render_tag(source, user, load="inventory_live", **context)


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

