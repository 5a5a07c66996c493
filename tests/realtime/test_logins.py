"""realtime.logins: failed logins and lockouts counted, on the demo's login page too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from realtime.stats import counting

pytestmark = pytest.mark.django_db


def test_the_login_page_locks_out_after_the_failure_limit(settings: Any, staff_user: Any
                                                          ) -> None:
    counting.counters.clear()
    client = Client()
    codes = [client.post("/login/", {"username": "staff", "password": "wrong"},
                         REMOTE_ADDR="10.1.0.1").status_code
             for _ in range(settings.AXES_FAILURE_LIMIT + 1)]
    assert codes[:settings.AXES_FAILURE_LIMIT - 1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert codes[-1] == 429
    assert counting.counters["login.failed"] == settings.AXES_FAILURE_LIMIT + 1
    assert counting.counters["login.locked_out"] >= 1  # each refusal while locked counts


def test_a_login_without_a_request_is_not_an_attempt_from_outside(staff_user: Any) -> None:
    """The test client's login(), a shell's authenticate(): no request, no lockout check."""
    staff_user.set_password("pw-for-this-test")
    staff_user.save()
    assert Client().login(username="staff", password="pw-for-this-test")
