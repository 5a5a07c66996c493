"""Product and stock saves: every change logged, transitions found from loaded values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import Inventory, Product
from inventory.signals import arrival_transitions, stock_transitions

LOW, OUT, RESTOCKED = "inventory:low_stock", "inventory:out_of_stock", "inventory:restocked"


def types(events: list[Any]) -> list[str]:
    return [event.type for event in events]


@pytest.mark.parametrize(("previous", "quantity", "expected"), [
    (20, 15, []),
    (20, 11, []),
    (11, 10, [LOW]),
    (20, 5, [LOW]),
    (20, 0, [LOW, OUT]),
    (5, 0, [OUT]),
    (5, 3, []),
    (0, 0, []),
    (0, 5, []),
    (5, 10, []),
    (10, 11, [RESTOCKED]),
    (0, 50, [RESTOCKED]),
    (50, 50, []),
    (3, -2, [OUT]),
])
def test_stock_transitions(previous: int, quantity: int, expected: list[str]) -> None:
    assert stock_transitions(previous, quantity, threshold=10) == expected


def test_zero_threshold_out_of_stock_is_also_low() -> None:
    assert stock_transitions(1, 0, threshold=0) == [LOW, OUT]


@pytest.mark.parametrize(("quantity", "expected"), [
    (50, [RESTOCKED]),
    (11, [RESTOCKED]),
    (10, [LOW]),
    (3, [LOW]),
    (0, [LOW, OUT]),
    (-1, [LOW, OUT]),
])
def test_arrival_transitions(quantity: int, expected: list[str]) -> None:
    assert arrival_transitions(quantity, threshold=10) == expected


@pytest.mark.django_db
class TestInventoryEvents:
    def test_new_row_counts_from_zero(self, product: Product, event_log: Any) -> None:
        Inventory.objects.create(product=product, quantity=5)
        updated = event_log("inventory")[0]
        assert updated.type == "inventory:updated"
        assert (updated.payload["previousQuantity"], updated.payload["quantity"]) == (0, 5)

    def test_new_row_above_threshold_is_restocked(self, product: Product,
                                                  event_log: Any) -> None:
        Inventory.objects.create(product=product, quantity=50)
        assert types(event_log("inventory")) == ["inventory:updated", RESTOCKED]

    @pytest.mark.parametrize(("quantity", "expected"), [
        (10, [LOW]),
        (4, [LOW]),
        (0, [LOW, OUT]),
    ])
    def test_new_row_at_or_below_threshold_is_low(self, product: Product, event_log: Any,
                                                  quantity: int, expected: list[str]) -> None:
        Inventory.objects.create(product=product, quantity=quantity, low_stock_threshold=10)
        events = event_log("inventory")
        assert types(events) == ["inventory:updated", *expected]
        low = events[1]
        assert (low.payload["quantity"], low.payload["threshold"]) == (quantity, 10)

    def test_new_low_row_is_low_once(self, product: Product, event_log: Any) -> None:
        stock = Inventory.objects.create(product=product, quantity=4, low_stock_threshold=10)
        stock.quantity = 3
        stock.save()
        assert types(event_log("inventory")).count(LOW) == 1

    def test_every_save_is_updated(self, stock: Inventory, event_log: Any) -> None:
        before = len(event_log("inventory"))
        stock.quantity = 18
        stock.save()
        [updated] = event_log("inventory")[before:]
        assert updated.type == "inventory:updated"
        assert updated.payload == {"productId": stock.product_id, "sku": "KB-001",
                                   "name": "Keyboard", "quantity": 18, "previousQuantity": 20,
                                   "threshold": 10}

    @pytest.mark.parametrize(("moves", "expected"), [
        ([8], [LOW]),
        ([0], [LOW, OUT]),
        ([8, 0], [LOW, OUT]),
        ([8, 30], [LOW, RESTOCKED]),
        ([0, 5, 11], [LOW, OUT, RESTOCKED]),
        ([15, 12, 11], []),
    ])
    def test_transitions(self, stock: Inventory, event_log: Any, moves: list[int],
                         expected: list[str]) -> None:
        before = len(event_log("inventory"))
        for quantity in moves:
            stock.quantity = quantity
            stock.save()
        events = event_log("inventory")[before:]
        assert types(events).count("inventory:updated") == len(moves)
        assert [e for e in types(events) if e != "inventory:updated"] == expected

    def test_transition_payload_carries_previous(self, stock: Inventory,
                                                 event_log: Any) -> None:
        stock.quantity = 0
        stock.save()
        out = event_log("inventory")[-1]
        assert out.type == OUT
        assert (out.payload["previousQuantity"], out.payload["quantity"]) == (20, 0)

    def test_old_quantity_costs_no_query(self, stock: Inventory) -> None:
        stock.quantity = 1
        with CaptureQueriesContext(connection) as queries:
            stock.save()
        assert not [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]

    def test_rolled_back_move_leaves_nothing(self, stock: Inventory, event_log: Any) -> None:
        before = len(event_log())
        with pytest.raises(RuntimeError), transaction.atomic():
            stock.quantity = 0
            stock.save()
            raise RuntimeError("abort")
        assert len(event_log()) == before


@pytest.mark.django_db
class TestProductEvents:
    def test_created(self, event_log: Any) -> None:
        product = Product.objects.create(sku="A-1", name="A", price=Decimal("5"))
        [created] = event_log("products")
        assert created.type == "product:created"
        assert created.payload == {"id": product.pk, "sku": "A-1", "name": "A",
                                   "price": "5.00", "isActive": True}
        assert created.owner_id is None

    def test_update_without_price_change(self, product: Product, event_log: Any) -> None:
        product.name = "Keyboard Pro"
        product.save()
        assert types(event_log("products")) == ["product:created", "product:updated"]

    def test_price_change(self, product: Product, event_log: Any) -> None:
        loaded = Product.objects.get(pk=product.pk)
        loaded.price = Decimal("79.90")
        loaded.save()
        _, updated, changed = event_log("products")
        assert (updated.type, changed.type) == ("product:updated", "product:price_changed")
        assert (changed.payload["previousPrice"], changed.payload["price"]) == ("89.90",
                                                                                "79.90")
        assert "previousPrice" not in updated.payload

    def test_same_price_written_differently_is_no_change(self, product: Product,
                                                         event_log: Any) -> None:
        product.price = "89.9"
        product.save()
        assert types(event_log("products"))[-1] == "product:updated"

    def test_successive_price_changes(self, product: Product, event_log: Any) -> None:
        for price in ("80.00", "70.00"):
            product.price = Decimal(price)
            product.save()
        changes = [e.payload for e in event_log("products") if e.type == "product:price_changed"]
        assert [(c["previousPrice"], c["price"]) for c in changes] == [
            ("89.90", "80.00"), ("80.00", "70.00")]

    def test_deleted(self, stock: Inventory, event_log: Any) -> None:
        product = stock.product
        pk = product.pk
        product.delete()
        deleted = event_log("products")[-1]
        assert deleted.type == "product:deleted"
        assert deleted.payload["id"] == pk
