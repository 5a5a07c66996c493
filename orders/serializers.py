"""REST representations of orders and payments (plain snake_case field names)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Order, Payment


class OrderSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.name", read_only=True)

    class Meta:
        model = Order
        fields = ["id", "customer", "customer_name", "status", "total", "channel",
                  "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "order", "amount", "method", "status", "reason", "created_at"]
        read_only_fields = ["created_at"]
