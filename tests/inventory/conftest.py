from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.models import Inventory, Product


@pytest.fixture
def product() -> Product:
    return Product.objects.create(sku="KB-001", name="Keyboard", price=Decimal("89.90"))


@pytest.fixture
def stock(product: Product) -> Inventory:
    """20 in stock against a threshold of 10, freshly loaded from the database."""
    Inventory.objects.create(product=product, quantity=20, low_stock_threshold=10)
    return Inventory.objects.select_related("product").get(product=product)
