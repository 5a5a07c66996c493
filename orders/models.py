"""Customers, their orders and the payments against them (field names: docs/architecture.md)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from realtime.tracking import TracksFields


class Customer(models.Model):
    """A buyer; ``user`` is set when the buyer can log in (and so has the customer role)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Order(TracksFields, models.Model):
    """A sale; ``status`` is tracked so a save knows which transition it made."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        PROCESSING = "processing"
        SHIPPED = "shipped"
        DELIVERED = "delivered"
        CANCELLED = "cancelled"
        REFUNDED = "refunded"

    class Channel(models.TextChoices):
        ONLINE = "online"
        POS = "pos", "Point of sale"
        MARKETPLACE = "marketplace"
        PHONE = "phone"

    tracked_fields = ("status",)

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.ONLINE)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Order #{self.pk}"


class Payment(TracksFields, models.Model):
    """Money against an order; ``status`` is tracked for payment:received/failed/refunded."""

    class Method(models.TextChoices):
        CARD = "card"
        CASH = "cash"
        TRANSFER = "transfer"
        WALLET = "wallet"

    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETED = "completed"
        FAILED = "failed"
        REFUNDED = "refunded"

    tracked_fields = ("status",)

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.CARD)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Payment #{self.pk} ({self.status})"
