"""``manage.py seed_demo``: demo users per role, customers with orders, products with stock.

Idempotent: rows are found by username, SKU or customer before anything is created, so
running it again changes nothing but the demo password (taken from ``DEMO_PASSWORD``).
It says what it did: a line per stage (``-v 0``: none, nor the logins), then one summary
line with the rows it created and how long it took, so a second run visibly made nothing.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from inventory.models import Inventory, Product
from orders.models import Customer, Order, Payment
from realtime.roles import identify

DEFAULT_PASSWORD = "omni-demo-2024"

# username, is_superuser, is_staff, groups, customer name: one user per role.
USERS = [
    ("admin", True, True, (), None),
    ("manager", False, True, ("manager",), None),
    ("staff", False, True, ("staff",), None),
    ("alice", False, False, (), "Alice Martin"),
    ("bob", False, False, (), "Bob Chen"),
]

# sku, name, price, quantity, threshold: a few sit near or below their threshold.
PRODUCTS = [
    ("KB-001", "Mechanical Keyboard", "89.90", 42, 10),
    ("MS-002", "Wireless Mouse", "29.90", 120, 20),
    ("MN-003", "27-inch Monitor", "249.00", 12, 10),
    ("HS-004", "Noise-cancelling Headset", "149.90", 8, 10),
    ("WC-005", "HD Webcam", "59.00", 35, 10),
    ("DK-006", "USB-C Dock", "119.00", 11, 10),
    ("CB-007", "Braided USB-C Cable", "12.50", 300, 50),
    ("LS-008", "Laptop Stand", "39.90", 3, 5),
]

# Per customer: (channel, status, product SKUs, payment method, payment status)
ORDERS = [
    ("online", "delivered", ("KB-001", "MS-002"), "card", "completed"),
    ("marketplace", "processing", ("MN-003",), "wallet", "completed"),
    ("phone", "pending", ("CB-007", "CB-007", "LS-008"), "transfer", "pending"),
]

# Model permissions per group, so manager and staff can use the admin.
GROUP_PERMISSIONS = {
    "manager": ("add", "change", "delete", "view"),
    "staff": ("add", "change", "view"),
}
DEMO_MODELS = ("customer", "order", "payment", "product", "inventory")


class Command(BaseCommand):
    help = "Create demo users (one per role), customers with orders, and stocked products."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        verbose = options["verbosity"] >= 1
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        created: Counter[str] = Counter()
        with transaction.atomic():
            groups = seed_groups(created)
            self.progress(verbose, f"groups: {len(groups)} of {len(GROUP_PERMISSIONS)}")
            products = {row[0]: seed_product(*row, created=created) for row in PRODUCTS}
            self.progress(verbose, f"products: {len(products)} of {len(PRODUCTS)} "
                                   f"({created['products']} new)")
            users = 0
            for row in USERS:
                customer = seed_user(row, password, groups, created)
                users += 1
                if customer is not None:
                    seed_orders(customer, products, created)
            self.progress(verbose, f"users: {users} of {len(USERS)} ({created['users']} new)")
        self.stdout.write(summary(created, time.monotonic() - started))
        if verbose:
            self.print_logins(password)

    def progress(self, verbose: bool, line: str) -> None:
        if verbose:
            self.stdout.write(line)

    def print_logins(self, password: str) -> None:
        """The table shows the role the server resolves, not one written down here."""
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins:"))
        self.stdout.write(f"  {'username':<10} role")
        for username, *_ in USERS:
            user = get_user_model().objects.get(username=username)
            self.stdout.write(f"  {user.username:<10} {identify(user).role}")
        self.stdout.write(f"Password for all: {password}")


# What the summary counts, in its order: Counter key, the word for it.
SUMMARY = [("users", "users"), ("customers", "customers"), ("orders", "orders"),
           ("payments", "payments"), ("products", "products"), ("stock", "stock rows"),
           ("groups", "groups")]


def summary(created: Counter[str], seconds: float) -> str:
    """``Created 5 users, 2 customers, ... in 0.42 s``: the rows this run added."""
    rows = ", ".join(f"{created[key]} {word}" for key, word in SUMMARY)
    return f"Created {rows} in {seconds:.2f} s"


def seed_groups(created: Counter[str]) -> dict[str, Group]:
    groups = {}
    for name, actions in GROUP_PERMISSIONS.items():
        group, new = Group.objects.get_or_create(name=name)
        created["groups"] += new
        codenames = [f"{action}_{model}" for model in DEMO_MODELS for action in actions]
        group.permissions.add(*Permission.objects.filter(
            content_type__app_label__in=["orders", "inventory"], codename__in=codenames))
        groups[name] = group
    return groups


def seed_user(row: tuple, password: str, groups: dict[str, Group],
              created: Counter[str]) -> Customer | None:
    """The user, with the password reset to ``password``; returns their Customer, if any."""
    username, is_superuser, is_staff, group_names, customer_name = row
    user, new = get_user_model().objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "is_superuser": is_superuser,
                  "is_staff": is_staff},
    )
    created["users"] += new
    user.set_password(password)
    user.save(update_fields=["password"])
    user.groups.add(*(groups[name] for name in group_names))
    if not customer_name:
        return None
    customer, new = Customer.objects.get_or_create(
        user=user, defaults={"name": customer_name, "email": user.email})
    created["customers"] += new
    return customer


def seed_product(sku: str, name: str, price: str, quantity: int, threshold: int,
                 created: Counter[str]) -> Product:
    product, new = Product.objects.get_or_create(
        sku=sku, defaults={"name": name, "price": Decimal(price)})
    created["products"] += new
    _, new = Inventory.objects.get_or_create(
        product=product, defaults={"quantity": quantity, "low_stock_threshold": threshold})
    created["stock"] += new
    return product


def seed_orders(customer: Customer, products: dict[str, Product],
                created: Counter[str]) -> None:
    """The customer's demo orders, only when they have none yet."""
    if customer.orders.exists():
        return
    for channel, status, skus, method, payment_status in ORDERS:
        total = sum((products[sku].price for sku in skus), Decimal("0.00"))
        order = Order.objects.create(customer=customer, channel=channel, status=status,
                                     total=total)
        Payment.objects.create(order=order, amount=total, method=method,
                               status=payment_status)
        created["orders"] += 1
        created["payments"] += 1
