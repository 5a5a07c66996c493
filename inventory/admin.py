"""Admin for products and stock. Saves go through ``save()``, so they emit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest

from .models import Inventory, Product


class InventoryInline(admin.StackedInline):
    model = Inventory
    can_delete = False
    max_num = 1
    fields = ["quantity", "low_stock_threshold", "updated_at"]
    readonly_fields = ["updated_at"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "price", "is_active", "stock", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["sku", "name"]
    list_select_related = ["inventory"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [InventoryInline]

    @admin.display(ordering="inventory__quantity")
    def stock(self, product: Product) -> int | None:
        inventory = getattr(product, "inventory", None)
        return inventory.quantity if inventory else None


class StockLevelFilter(admin.SimpleListFilter):
    """Rows by where their quantity stands against their own threshold."""

    title = "stock level"
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("out", "Out of stock"), ("low", "Low (at or below threshold)"),
                ("ok", "Above threshold")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "out":
            return queryset.filter(quantity__lte=0)
        if self.value() == "low":
            return queryset.filter(quantity__lte=F("low_stock_threshold"))
        if self.value() == "ok":
            return queryset.filter(quantity__gt=F("low_stock_threshold"))
        return queryset


@admin.register(Inventory)
class InventoryAdmin(admin.ModelAdmin):
    list_display = ["product", "quantity", "low_stock_threshold", "is_low", "updated_at"]
    list_editable = ["quantity"]
    list_filter = [StockLevelFilter]
    search_fields = ["product__sku", "product__name"]
    autocomplete_fields = ["product"]
    list_select_related = ["product"]
    readonly_fields = ["updated_at"]

    @admin.display(boolean=True, description="low")
    def is_low(self, stock: Inventory) -> bool:
        return stock.is_low
