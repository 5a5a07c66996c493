"""The admin pages render; stock edited in the list emits its threshold events."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from inventory.models import Inventory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", [
    "/admin/inventory/product/", "/admin/inventory/product/?q=KB",
    "/admin/inventory/inventory/", "/admin/inventory/inventory/?level=low",
    "/admin/inventory/inventory/?level=out", "/admin/inventory/inventory/?level=ok",
])
def test_changelists_render(admin_client: Client, stock: Inventory, path: str) -> None:
    assert admin_client.get(path).status_code == 200


def test_product_page_has_inventory_inline(admin_client: Client, stock: Inventory) -> None:
    response = admin_client.get(f"/admin/inventory/product/{stock.product_id}/change/")
    assert response.status_code == 200
    assert b"inventory-TOTAL_FORMS" in response.content


def test_list_edit_of_quantity_emits(admin_client: Client, stock: Inventory,
                                     event_log: Any) -> None:
    response = admin_client.post("/admin/inventory/inventory/", {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": stock.pk,
        "form-0-quantity": "0", "_save": "Save",
    })
    assert response.status_code == 302, response.content
    assert [e.type for e in event_log("inventory")][-3:] == [
        "inventory:updated", "inventory:low_stock", "inventory:out_of_stock"]
