"""A writer process for the delivery tests: orders saved in transactions, some held open.

``python -m tests.support.writer --orders N --seed S [--hold-share 0.25]``: each order is
created and moved to ``confirmed`` in one transaction (order:created, order:updated,
order:status_changed), and a share of the transactions hold for 0.3-1.5 s before they
commit, as a slow request or a batch job would. That hold is what makes a lower event
id commit after a higher one when several writers run at once. Prints the number of
committed transactions, so a test knows what it should have received.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from decimal import Decimal


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hold-share", type=float, default=0.25)
    parser.add_argument("--pause", type=float, default=0.02,
                        help="seconds between two transactions")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omni_sales.settings")
    import django

    django.setup()
    from django.db import transaction

    from orders.models import Customer, Order

    rng = random.Random(args.seed)
    customers = list(Customer.objects.all())
    committed = 0
    for _ in range(args.orders):
        with transaction.atomic():
            order = Order.objects.create(customer=rng.choice(customers),
                                         total=Decimal(rng.randint(100, 99_999)) / 100,
                                         channel="online")
            order.status = Order.Status.CONFIRMED
            order.save()
            if rng.random() < args.hold_share:
                time.sleep(rng.uniform(0.3, 1.5))  # a long transaction, held open
        committed += 1
        time.sleep(args.pause)
    print(committed)


if __name__ == "__main__":
    main()
