from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from inventory.models import Inventory, Product

pytestmark = pytest.mark.django_db


def test_product_defaults(product: Product) -> None:
    assert product.is_active is True
    assert product.created_at is not None and product.updated_at is not None
    assert str(product) == "Keyboard (KB-001)"


def test_sku_is_unique(product: Product) -> None:
    with pytest.raises(IntegrityError):
        Product.objects.create(sku="KB-001", name="Other", price=Decimal("1.00"))


def test_inventory_defaults(product: Product) -> None:
    stock = Inventory.objects.create(product=product)
    assert (stock.quantity, stock.low_stock_threshold) == (0, 10)
    assert product.inventory == stock
    assert stock.is_low


def test_one_inventory_per_product(stock: Inventory) -> None:
    with pytest.raises(IntegrityError):
        Inventory.objects.create(product=stock.product)


def test_deleting_a_product_deletes_its_stock(stock: Inventory) -> None:
    stock.product.delete()
    assert not Inventory.objects.exists()


def test_loaded_values_are_tracked(stock: Inventory, product: Product) -> None:
    stock.quantity = 3
    assert stock.loaded_value("quantity") == 20
    loaded = Product.objects.get(pk=product.pk)
    assert loaded.loaded_value("price") == Decimal("89.90")
