"""``seed_demo`` and ``simulate_sales``."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from inventory.models import Inventory, Product
from orders.management.commands.seed_demo import PRODUCTS
from orders.models import Customer, Order, Payment
from orders.simulation import Simulator
from realtime.roles import identify

pytestmark = pytest.mark.django_db


@pytest.fixture
def fast_hasher(settings: Any) -> None:
    """seed_demo hashes five passwords per run; the default hasher is slow by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(*args: str, **options: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(fast_hasher: None) -> str:
    return run("seed_demo")


def counts() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (
        get_user_model(), Customer, Order, Payment, Product, Inventory))


def test_seed_demo_one_user_per_role(seeded: str) -> None:
    users = get_user_model().objects
    roles = {name: identify(users.get(username=name)).role
             for name in ("admin", "manager", "staff", "alice", "bob")}
    assert roles == {"admin": "admin", "manager": "manager", "staff": "staff",
                     "alice": "customer", "bob": "customer"}
    for username, role in roles.items():
        assert f"{username:<10} {role}" in seeded
    assert "omni-demo-2024" in seeded


def test_seed_demo_data(seeded: str) -> None:
    for customer in Customer.objects.all():
        assert customer.orders.count() == 3
        assert Payment.objects.filter(order__customer=customer).count() == 3
    assert Product.objects.count() >= 8
    assert Inventory.objects.count() == Product.objects.count()
    assert any(stock.is_low for stock in Inventory.objects.all())


def test_seed_demo_is_idempotent(seeded: str) -> None:
    before = counts()
    run("seed_demo")
    assert counts() == before


def test_seed_demo_password_from_env(fast_hasher: None, monkeypatch: Any) -> None:
    monkeypatch.setenv("DEMO_PASSWORD", "another-secret-1")
    out = run("seed_demo")
    assert "another-secret-1" in out
    assert get_user_model().objects.get(username="alice").check_password("another-secret-1")


def test_simulate_sales_needs_data() -> None:
    with pytest.raises(CommandError, match="seed_demo"):
        run("simulate_sales", count=1)


@pytest.mark.parametrize("rate", ["0", "-1"])
def test_simulate_sales_rejects_bad_rate(rate: str) -> None:
    with pytest.raises(CommandError, match="rate"):
        run("simulate_sales", "--rate", rate, "--count", "1")


def test_simulate_sales_runs_count_actions(seeded: str, event_log: Any) -> None:
    before = len(event_log())
    out = run("simulate_sales", "--rate", "1000", "--count", "25", "--seed", "7")
    lines = out.strip().splitlines()
    assert len(lines) == 26
    assert lines[-1] == "Stopped after 25 actions."
    assert len(event_log()) > before


def test_simulate_sales_stops_cleanly_on_ctrl_c(seeded: str, monkeypatch: Any) -> None:
    steps = iter(["one", "two"])

    def step(self: Simulator) -> str:
        line = next(steps, None)
        if line is None:
            raise KeyboardInterrupt
        return line

    monkeypatch.setattr(Simulator, "step", step)
    out = run("simulate_sales", "--rate", "1000")
    assert out.strip().endswith("Stopped after 2 actions.")


SUMMARY = re.compile(
    r"^Created (\d+) users, (\d+) customers, (\d+) orders, (\d+) payments, (\d+) products, "
    r"(\d+) stock rows, (\d+) groups in \d+\.\d\d s$", re.MULTILINE)


def group_count() -> int:
    from django.contrib.auth.models import Group

    return Group.objects.count()


def summary_of(out: str) -> tuple[int, ...]:
    [numbers] = SUMMARY.findall(out)
    return tuple(int(n) for n in numbers)


def test_seed_demo_summary_counts_what_it_created(fast_hasher: None) -> None:
    before = (*counts(), group_count())
    out = run("seed_demo")
    after = (*counts(), group_count())
    users, customers, orders, payments, products, stock, groups = summary_of(out)
    assert (users, customers, orders, payments, products, stock, groups) == tuple(
        later - earlier for earlier, later in zip(before, after, strict=True))
    assert users == 5 and orders == 6 and products == len(PRODUCTS)


def test_seed_demo_summary_of_a_second_run_is_all_zero(seeded: str) -> None:
    assert summary_of(run("seed_demo")) == (0,) * 7


def test_seed_demo_shows_progress_per_stage(seeded: str) -> None:
    lines = seeded.splitlines()
    assert lines[:3] == ["groups: 2 of 2", f"products: {len(PRODUCTS)} of {len(PRODUCTS)} "
                         f"({len(PRODUCTS)} new)", "users: 5 of 5 (5 new)"]
    assert SUMMARY.match(lines[3])


def test_seed_demo_at_verbosity_0_prints_the_summary_alone(fast_hasher: None) -> None:
    out = run("seed_demo", verbosity=0)
    assert SUMMARY.fullmatch(out.strip())
    assert get_user_model().objects.count() == 5
