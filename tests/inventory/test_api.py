"""REST access to products (every role reads) and stock (staff-level roles only)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from inventory.models import Inventory, Product
from tests.conftest import STAFF_ROLE_USERS

pytestmark = pytest.mark.django_db

NEW_PRODUCT = {"sku": "MS-002", "name": "Mouse", "price": "29.90"}


@pytest.mark.parametrize("fixture", [*STAFF_ROLE_USERS, "alice", "guest_user"])
def test_every_role_reads_products(as_user: Any, fixture: str, product: Product) -> None:
    client = as_user(fixture)
    response = client.get("/api/products/")
    assert response.status_code == 200
    assert [row["sku"] for row in response.json()["results"]] == ["KB-001"]
    assert client.get(f"/api/products/{product.pk}/").json()["price"] == "89.90"


@pytest.mark.parametrize("fixture", ["alice", "guest_user"])
def test_customers_and_guests_cannot_write_products(as_user: Any, fixture: str,
                                                    product: Product) -> None:
    client = as_user(fixture)
    assert client.post("/api/products/", NEW_PRODUCT).status_code == 403
    assert client.patch(f"/api/products/{product.pk}/", {"price": "1.00"}).status_code == 403
    assert client.delete(f"/api/products/{product.pk}/").status_code == 403


@pytest.mark.parametrize("fixture", STAFF_ROLE_USERS)
def test_staff_roles_write_products(as_user: Any, fixture: str, product: Product,
                                    event_log: Any) -> None:
    client = as_user(fixture)
    assert client.post("/api/products/", NEW_PRODUCT).status_code == 201
    assert client.patch(f"/api/products/{product.pk}/", {"price": "79.90"}).status_code == 200
    price_changed = event_log("products")[-1]
    assert price_changed.type == "product:price_changed"
    assert (price_changed.payload["previousPrice"], price_changed.payload["price"]) == (
        "89.90", "79.90")


def test_anonymous_is_refused(api_client: APIClient, stock: Inventory) -> None:
    assert api_client.get("/api/products/").status_code in (401, 403)
    assert api_client.get("/api/inventory/").status_code in (401, 403)


@pytest.mark.parametrize("fixture", ["alice", "guest_user"])
def test_customers_and_guests_cannot_see_stock(as_user: Any, fixture: str,
                                               stock: Inventory) -> None:
    client = as_user(fixture)
    assert client.get("/api/inventory/").status_code == 403
    assert client.get(f"/api/inventory/{stock.pk}/").status_code == 403


@pytest.mark.parametrize("fixture", STAFF_ROLE_USERS)
def test_staff_roles_manage_stock(as_user: Any, fixture: str, stock: Inventory,
                                  event_log: Any) -> None:
    client = as_user(fixture)
    [row] = client.get("/api/inventory/").json()["results"]
    assert row["sku"] == "KB-001" and row["quantity"] == 20 and row["is_low"] is False
    response = client.patch(f"/api/inventory/{stock.pk}/", {"quantity": 4})
    assert response.status_code == 200
    assert response.json()["is_low"] is True
    assert [e.type for e in event_log("inventory")][-2:] == [
        "inventory:updated", "inventory:low_stock"]
