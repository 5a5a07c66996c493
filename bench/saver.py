"""The process that causes events: real ``Order`` saves through the Django ORM.

``python -m bench.saver`` runs with the project's environment (the same
``DATABASE_URL``, ``REDIS_URL`` and ``SECRET_KEY`` as the servers), like a worker
or ``manage.py shell`` would, and reads JSON command lines on stdin:

  {"cmd": "users", "count": n, "password": p}  -> bench staff users bench_staff_000...
  {"cmd": "save", "count": k}                  -> k orders created, one save each
                                                  (autocommit: each its own transaction)

Each answer is one JSON line: ``save`` gives ``t0`` (just before the first save)
and ``t1`` (after the last), in milliseconds since the epoch.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from typing import Any


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni_sales.settings")
    import django

    django.setup()


def make_users(count: int, password: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    hashed = make_password(password)  # one hash for all: hashing is slow by design
    names = [f"bench_staff_{i:03d}" for i in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([
        User(username=name, email=f"{name}@example.com", is_staff=True, password=hashed)
        for name in names if name not in existing])
    User.objects.filter(username__in=names).update(password=hashed, is_active=True)
    return {"cmd": "users", "usernames": names}


def save_orders(count: int) -> dict[str, Any]:
    from orders.models import Customer, Order

    customer = Customer.objects.order_by("id").first()
    if customer is None:
        customer = Customer.objects.create(name="Bench Customer", email="bench@example.com")
    t0 = time.time() * 1000
    for _ in range(count):
        Order.objects.create(customer=customer, total=Decimal("10.00"), channel="online")
    t1 = time.time() * 1000
    return {"cmd": "save", "count": count, "t0": t0, "t1": t1}


def main() -> None:
    setup()
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["cmd"] == "exit":
            return
        if cmd["cmd"] == "users":
            result = make_users(cmd["count"], cmd["password"])
        elif cmd["cmd"] == "save":
            result = save_orders(cmd["count"])
        else:
            result = {"cmd": cmd["cmd"], "error": "unknown command"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
