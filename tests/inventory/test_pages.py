"""Product pages: the catalogue for everyone, stock for roles that see inventory, and the
hooks the page's module uses to report a customer's activity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from inventory.models import Inventory, Product
from inventory.pages import product_names, stock_alerts

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def catalogue() -> dict[str, Product]:
    def make(sku: str, name: str, quantity: int, threshold: int = 10,
             active: bool = True) -> Product:
        product = Product.objects.create(sku=sku, name=name, price=Decimal("10.00"),
                                         is_active=active)
        Inventory.objects.create(product=product, quantity=quantity,
                                 low_stock_threshold=threshold)
        return product

    return {"plenty": make("KB-001", "Keyboard", 40), "low": make("LS-008", "Laptop Stand", 3, 5),
            "out": make("HS-004", "Headset", 0), "hidden": make("OLD-1", "Old Thing", 0,
                                                                 active=False)}


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def test_catalogue_for_anonymous_visitors(client: Client, catalogue: dict[str, Product]) -> None:
    html = client.get("/products/").text
    assert "Keyboard" in html and "Laptop Stand" in html
    assert "Old Thing" not in html
    assert "in stock" not in html


def test_catalogue_with_stock_for_staff(client: Client, staff_user: Any,
                                        catalogue: dict[str, Product]) -> None:
    html = login(client, staff_user).get("/products/").text
    assert "Old Thing" in html and "40 in stock" in html


def test_catalogue_is_live_with_prices_in_the_shop_currency(client: Client, staff_user: Any,
                                                            catalogue: dict[str, Product]) -> None:
    anonymous = client.get("/products/").text
    assert 'data-rt-widget="product-list" data-currency="USD"' in anonymous
    assert 'data-product-url="/products/{id}/"' in anonymous
    assert "data-sees-stock" not in anonymous
    product = catalogue["plenty"]
    assert f'data-product-id="{product.pk}"' in anonymous
    assert 'data-rt-part="price">$10.00<' in anonymous
    staff = login(client, staff_user).get("/products/").text
    assert "data-sees-stock" in staff and 'data-rt-part="stock">40 in stock<' in staff


def test_product_page_for_a_customer_has_add_to_cart(client: Client, alice: Any,
                                                     catalogue: dict[str, Product]) -> None:
    product = catalogue["plenty"]
    html = login(client, alice).get(f"/products/{product.pk}/").text
    assert f'data-rt-widget="product" data-product-id="{product.pk}"' in html
    assert 'data-rt-part="cart"' in html and "Add to cart" in html
    assert 'data-rt-part="price">$10.00<' in html
    assert "in stock" not in html, "customers do not see inventory"
    assert 'id="rt-config"' in html


def test_product_page_for_others_has_no_cart(client: Client, staff_user: Any,
                                             catalogue: dict[str, Product]) -> None:
    product = catalogue["low"]
    anonymous = client.get(f"/products/{product.pk}/").text
    assert "Add to cart" not in anonymous and "Log in</a> to buy" in anonymous
    staff = login(client, staff_user).get(f"/products/{product.pk}/").text
    assert "Add to cart" not in staff and "3 in stock (alert at 5)" in staff


def test_inactive_products_are_404_but_for_staff(client: Client, alice: Any, staff_user: Any,
                                                 catalogue: dict[str, Product]) -> None:
    hidden = catalogue["hidden"]
    assert client.get(f"/products/{hidden.pk}/").status_code == 404
    assert login(client, alice).get(f"/products/{hidden.pk}/").status_code == 404
    assert login(client, staff_user).get(f"/products/{hidden.pk}/").status_code == 200
    assert client.get("/products/999999/").status_code == 404


def test_product_names_are_escaped(client: Client) -> None:
    product = Product.objects.create(sku="X-1", name=XSS, price=Decimal("1.00"))
    for path in ("/products/", f"/products/{product.pk}/"):
        html = client.get(path).text
        assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_stock_alerts_are_the_active_products_at_or_below_threshold(
        catalogue: dict[str, Product]) -> None:
    alerts = stock_alerts()
    assert [a["sku"] for a in alerts] == ["HS-004", "LS-008"]
    assert alerts[1] == {"productId": catalogue["low"].pk, "sku": "LS-008",
                         "name": "Laptop Stand", "quantity": 3, "previousQuantity": 3,
                         "threshold": 5}


def test_product_names(catalogue: dict[str, Product]) -> None:
    assert product_names()[catalogue["plenty"].pk] == "Keyboard"
