"""REST representations of products and stock (plain snake_case field names)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Inventory, Product


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "sku", "name", "price", "is_active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class InventorySerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    is_low = serializers.BooleanField(read_only=True)

    class Meta:
        model = Inventory
        fields = ["id", "product", "sku", "name", "quantity", "low_stock_threshold", "is_low",
                  "updated_at"]
        read_only_fields = ["updated_at"]
