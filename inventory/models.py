"""The catalogue and its stock levels (field names: docs/architecture.md)."""

from __future__ import annotations

from django.db import models

from realtime.tracking import TracksFields


class Product(TracksFields, models.Model):
    """A sellable item; ``price`` is tracked for product:price_changed."""

    tracked_fields = ("price",)

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Inventory(TracksFields, models.Model):
    """Stock of one product; ``quantity`` is tracked to find threshold crossings."""

    tracked_fields = ("quantity",)

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="inventory")
    quantity = models.IntegerField(default=0)
    low_stock_threshold = models.IntegerField(default=10)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product__name", "id"]
        verbose_name_plural = "inventory"

    def __str__(self) -> str:
        return f"{self.product.sku}: {self.quantity}"

    @property
    def is_low(self) -> bool:
        return self.quantity <= self.low_stock_threshold
