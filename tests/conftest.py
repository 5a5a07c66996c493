"""Fixtures shared by the suite: one user per role (docs/protocol.md "Identity and roles")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from tests.support.servers import RedisServer

USER_PASSWORD = "test-pass-2024"


@pytest.fixture(scope="session")
def password_hash() -> str:
    """Hashed once per session: the default hasher is slow by design, and servers the
    tests start in other processes must still accept the password."""
    return make_password(USER_PASSWORD)


@pytest.fixture
def make_user(django_user_model: Any, password_hash: str) -> Any:
    """``make_user(username, groups=(), customer=None, **fields)``; ``customer`` is a name."""
    from orders.models import Customer

    def make(username: str, groups: tuple[str, ...] = (), customer: str | None = None,
             **fields: Any) -> Any:
        user = django_user_model.objects.create(
            username=username, email=f"{username}@example.com", password=password_hash,
            **fields)
        user.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in groups))
        if customer:
            Customer.objects.create(user=user, name=customer, email=user.email)
        return user

    return make


@pytest.fixture
def admin_user(make_user: Any) -> Any:
    """Role ``admin`` (a superuser); replaces pytest-django's fixture of the same name."""
    return make_user("admin", is_superuser=True, is_staff=True)


@pytest.fixture
def manager_user(make_user: Any) -> Any:
    return make_user("manager", groups=("manager",))


@pytest.fixture
def staff_user(make_user: Any) -> Any:
    return make_user("staff", is_staff=True)


@pytest.fixture
def alice(make_user: Any) -> Any:
    """Role ``customer``; her Customer is ``alice.customer``."""
    return make_user("alice", customer="Alice Martin")


@pytest.fixture
def bob(make_user: Any) -> Any:
    """Role ``customer``; his Customer is ``bob.customer``."""
    return make_user("bob", customer="Bob Chen")


@pytest.fixture
def guest_user(make_user: Any) -> Any:
    """Authenticated, but with no role-giving attribute: role ``guest``."""
    return make_user("guest")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def event_log() -> Any:
    """``event_log(*namespaces)``: the logged realtime events, oldest first: those in
    the log, then those of the still open transaction (the outbox: a test's ``db``
    transaction never commits, so its events are never numbered)."""
    from realtime.models import Event, PendingEvent

    def logged(*namespaces: str) -> list[Any]:
        found = []
        for model in (Event, PendingEvent):
            events = model.objects.order_by("id")
            found += events.filter(namespace__in=namespaces) if namespaces else events
        return found

    return logged


# The fixtures of the roles that see every namespace but system (payments: not staff).
STAFF_ROLE_USERS = ["admin_user", "manager_user", "staff_user"]


@pytest.fixture
def as_user(request: pytest.FixtureRequest, api_client: APIClient) -> Any:
    """``as_user("alice")``: the API client, authenticated as that fixture's user."""

    def login(fixture: str) -> APIClient:
        api_client.force_authenticate(request.getfixturevalue(fixture))
        return api_client

    return login


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server on a free loopback port, for the whole session."""
    server = RedisServer.start(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def realtime_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the realtime app, built once from the checkout."""
    from tests.support.wheel import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def realtime_venv(tmp_path_factory: pytest.TempPathFactory, realtime_wheel: Path) -> Path:
    """A fresh venv with the wheel and its dependencies installed, once per run."""
    from tests.support.wheel import make_venv

    return make_venv(tmp_path_factory.mktemp("venv"), realtime_wheel)
