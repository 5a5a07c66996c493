"""realtime.throttling: the token endpoint against password guessing (django-axes as the
demo configures it: AXES_FAILURE_LIMIT 5 per username and IP)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from realtime.stats import counting
from tests.support.servers import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts() -> None:
    cache.clear()  # the throttles' history
    counting.counters.clear()


def token_request(client: Client, username: str, password: str, ip: str = "10.0.0.1") -> Any:
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.post("/api/ws/token", HTTP_AUTHORIZATION=f"Basic {basic}", REMOTE_ADDR=ip)


@pytest.fixture
def staff(staff_user: Any) -> Any:
    staff_user.set_password(DEMO_PASSWORD)
    staff_user.save()
    return staff_user


def test_wrong_passwords_lock_the_account_out_from_that_ip(settings: Any, staff: Any) -> None:
    client = Client()
    codes = [token_request(client, "staff", "wrong").status_code for _ in range(8)]
    # The failure that reaches the limit is the one that locks: it is answered 429 already.
    limit = settings.AXES_FAILURE_LIMIT
    assert codes == [401] * (limit - 1) + [429] * (8 - limit + 1)
    locked = token_request(client, "staff", DEMO_PASSWORD)
    assert locked.status_code == 429, "the right password does not lift a lockout"
    assert locked.json()["detail"].startswith("Too many failed logins")
    assert token_request(client, "staff", DEMO_PASSWORD, ip="10.0.0.2").status_code == 200
    assert counting.counters["login.failed"] >= settings.AXES_FAILURE_LIMIT
    assert counting.counters["login.locked_out"] >= 1


def test_attempts_are_throttled_per_ip_before_the_password_is_checked(
        realtime_settings: Any, staff: Any) -> None:
    realtime_settings(TOKEN_ATTEMPT_RATE="3/min")
    client = Client()
    codes = [token_request(client, "staff", password).status_code
             for password in ("wrong", DEMO_PASSWORD, "wrong", DEMO_PASSWORD)]
    assert codes == [401, 200, 401, 429]
    assert token_request(client, "staff", DEMO_PASSWORD, ip="10.0.0.9").status_code == 200
    assert counting.counters["login.throttled"] == 1


def test_tokens_are_throttled_per_user(realtime_settings: Any, staff: Any) -> None:
    realtime_settings(TOKEN_RATE="2/min")
    client = Client()
    codes = [token_request(client, "staff", DEMO_PASSWORD, ip=f"10.0.1.{n}").status_code
             for n in range(3)]
    assert codes == [200, 200, 429]


def test_a_cache_that_is_down_lets_tokens_through(monkeypatch: Any, staff: Any) -> None:
    """A Redis outage must not stop token issuance: the throttles fail open, counted.
    (With a real Redis killed: tests/e2e/test_redis_faults.py fetches tokens meanwhile.)"""
    from realtime.throttling import TokenAttemptThrottle, TokenRateThrottle

    class Down:
        def get(self, *args: Any, **kwargs: Any) -> Any:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

        set = get

    for throttle in (TokenAttemptThrottle, TokenRateThrottle):
        monkeypatch.setattr(throttle, "cache", Down())
    assert token_request(Client(), "staff", DEMO_PASSWORD).status_code == 200
    assert counting.counters["login.throttle_unavailable"] == 2  # both throttles


def test_a_forged_forwarded_for_header_gets_no_fresh_budget(realtime_settings: Any,
                                                            staff: Any) -> None:
    realtime_settings(TOKEN_ATTEMPT_RATE="2/min")
    client = Client()
    basic = base64.b64encode(f"staff:{DEMO_PASSWORD}".encode()).decode()
    codes = [client.post("/api/ws/token", HTTP_AUTHORIZATION=f"Basic {basic}",
                         HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", REMOTE_ADDR="10.0.0.1"
                         ).status_code for n in range(3)]
    assert codes == [200, 200, 429]


def test_a_session_fetching_its_token_is_not_a_password_attempt(realtime_settings: Any,
                                                                staff: Any) -> None:
    realtime_settings(TOKEN_ATTEMPT_RATE="1/min")
    client = Client()
    client.force_login(staff)
    assert [client.post("/api/ws/token", REMOTE_ADDR="10.0.0.1").status_code
            for _ in range(3)] == [200, 200, 200]
