"""One random sales action at a time, for the demo dashboards (``simulate_sales``).

Every change goes through ``save()`` in its own transaction, exactly as a view or the
admin would, so each action produces the same events a real one does.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction
from django.db.models import QuerySet

from inventory.models import Inventory

from .models import Customer, Order, Payment

# The usual life of an order; cancellation is a side exit from the early states.
NEXT_STATUS = {
    Order.Status.PENDING: Order.Status.CONFIRMED,
    Order.Status.CONFIRMED: Order.Status.PROCESSING,
    Order.Status.PROCESSING: Order.Status.SHIPPED,
    Order.Status.SHIPPED: Order.Status.DELIVERED,
}
CANCELLABLE = (Order.Status.PENDING, Order.Status.CONFIRMED)
FAILURE_REASONS = ("card declined", "insufficient funds", "payment timed out")

M = TypeVar("M", bound=models.Model)


class NothingToSimulate(Exception):
    """The database lacks customers or stocked products; ``seed_demo`` makes them."""


class Simulator:
    """Picks and performs actions; ``rng`` makes a run repeatable with a seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        if not Customer.objects.exists() or not Inventory.objects.exists():
            raise NothingToSimulate("No customers or stocked products: run seed_demo first.")

    def step(self) -> str:
        """Perform one action, chosen by weight, falling back to others when it has nothing
        to act on; returns a one-line description."""
        actions: list[tuple[Callable[[], str | None], int]] = [
            (self.create_order, 3), (self.advance_order, 3), (self.settle_payment, 2),
            (self.move_stock, 2),
        ]
        first = self.rng.choices(range(len(actions)), weights=[w for _, w in actions])[0]
        for action, _ in actions[first:] + actions[:first]:
            with transaction.atomic():
                line = action()
            if line:
                return line
        return "idle: nothing to do"

    def pick(self, queryset: QuerySet[M]) -> M | None:
        """A random row, chosen by ``rng`` (not ``order_by('?')``) so a seed repeats."""
        ids = list(queryset.values_list("pk", flat=True).order_by("pk"))
        return queryset.get(pk=self.rng.choice(ids)) if ids else None

    def create_order(self) -> str | None:
        stock = self.pick(Inventory.objects.select_for_update().select_related("product")
                          .filter(quantity__gt=0, product__is_active=True))
        if stock is None:
            return None
        customer = self.pick(Customer.objects.all())
        quantity = min(stock.quantity, self.rng.randint(1, 3))
        total = stock.product.price * quantity
        order = Order.objects.create(customer=customer, total=total,
                                     channel=self.rng.choice(Order.Channel.values))
        stock.quantity -= quantity
        stock.save()
        return (f"order #{order.pk} created: {customer.name} bought {quantity} x "
                f"{stock.product.name} = {total} ({order.channel})")

    def advance_order(self) -> str | None:
        order = self.pick(Order.objects.select_for_update().filter(status__in=NEXT_STATUS))
        if order is None:
            return None
        previous = order.status
        if order.status in CANCELLABLE and self.rng.random() < 0.1:
            order.status = Order.Status.CANCELLED
        else:
            order.status = NEXT_STATUS[order.status]
        order.save()
        return f"order #{order.pk}: {previous} -> {order.status}"

    def settle_payment(self) -> str | None:
        """Complete or fail a pending payment; without one, open a payment for an order."""
        payment = self.pick(Payment.objects.select_for_update()
                            .filter(status=Payment.Status.PENDING))
        if payment is not None:
            if self.rng.random() < 0.85:
                payment.status = Payment.Status.COMPLETED
            else:
                payment.status = Payment.Status.FAILED
                payment.reason = self.rng.choice(FAILURE_REASONS)
            payment.save()
            return f"payment #{payment.pk} for order #{payment.order_id}: {payment.status}"
        order = self.pick(Order.objects
                          .exclude(status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED])
                          .exclude(payments__status=Payment.Status.COMPLETED))
        if order is None:
            return None
        payment = Payment.objects.create(order=order, amount=order.total,
                                         method=self.rng.choice(Payment.Method.values))
        return f"payment #{payment.pk} opened for order #{order.pk}: {payment.amount}"

    def move_stock(self) -> str | None:
        """Sell a little from stock above its threshold; restock stock at or below it."""
        stock = self.pick(Inventory.objects.select_for_update().select_related("product"))
        if stock is None:
            return None
        previous = stock.quantity
        if stock.is_low:
            threshold = stock.low_stock_threshold
            stock.quantity = threshold + self.rng.randint(1, 3 * threshold + 10)
        else:
            stock.quantity -= min(stock.quantity, self.rng.randint(1, 5))
        stock.save()
        return f"stock {stock.product.sku}: {previous} -> {stock.quantity}"

