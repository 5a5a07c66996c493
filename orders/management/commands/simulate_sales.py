"""``manage.py simulate_sales``: random orders, status changes, payments and stock moves.

Keeps the demo dashboards moving. Each action is saved like a real one, so it sends
the same events; one line per action is printed. Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.simulation import NothingToSimulate, Simulator


class Command(BaseCommand):
    help = "Simulate sales activity: orders, status changes, payments and stock moves."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rate", type=float, default=1.0,
                            help="Actions per second (default 1).")
        parser.add_argument("--count", type=int, default=0,
                            help="Stop after this many actions (default 0: run until Ctrl-C).")
        parser.add_argument("--seed", type=int, default=None,
                            help="Random seed, to repeat a run.")

    def handle(self, *args: Any, rate: float, count: int, seed: int | None,
               **options: Any) -> None:
        if rate <= 0:
            raise CommandError("--rate must be greater than 0.")
        if count < 0:
            raise CommandError("--count must be 0 (forever) or more.")
        try:
            simulator = Simulator(random.Random(seed))
        except NothingToSimulate as exc:
            raise CommandError(str(exc)) from exc
        done = 0
        interval = 1.0 / rate
        try:
            while not count or done < count:
                started = time.monotonic()
                line = simulator.step()
                done += 1
                self.stdout.write(f"{done:>6}  {line}")
                if not count or done < count:
                    time.sleep(max(0.0, interval - (time.monotonic() - started)))
        except KeyboardInterrupt:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Stopped after {done} actions."))
