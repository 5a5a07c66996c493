"""realtime.checks: a bad REALTIME setting shows at ``manage.py check``."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from realtime.checks import check_deployment, check_settings

POSITIVE_INTEGERS = ("MAX_CONNECTIONS", "MAX_CONNECTIONS_PER_IP", "RATE_LIMIT", "MAX_PAYLOAD",
                     "PING_INTERVAL", "PONG_TIMEOUT", "TOKEN_TTL")


def ids(problems: list) -> list[str]:
    return [problem.id for problem in problems]


def test_the_project_settings_pass() -> None:
    assert check_settings() == []


@pytest.mark.parametrize("value", [0, -5, "100", 1.5, None])
@pytest.mark.parametrize("key", POSITIVE_INTEGERS)
def test_bad_value_is_e002_naming_the_key(realtime_settings: Any, key: str,
                                          value: Any) -> None:
    realtime_settings(**{key: value})
    problems = check_settings()
    assert ids(problems) == ["realtime.E002"]
    assert key in problems[0].msg
    assert repr(value) in problems[0].msg


def test_a_boolean_is_not_a_positive_integer(realtime_settings: Any) -> None:
    """``True`` is an int to isinstance, but ``"MAX_CONNECTIONS": True`` means 1 socket."""
    passed = []
    for key in POSITIVE_INTEGERS:
        realtime_settings(**{key: True})
        if ids(check_settings()) != ["realtime.E002"]:
            passed.append(key)
    assert passed == [], f"True accepted as a positive integer for {passed}"


def test_other_negative_numbers_are_e002(realtime_settings: Any) -> None:
    """A negative retention makes prune_events delete every event; a negative
    replay limit resets every resume; a negative poll interval makes the bridge spin; no
    replay thread would hang every resume; a zero log check or gap grace makes the
    follower read the log in a loop."""
    unchecked = []
    for key, value in (("RATE_LIMIT_BURST", -1), ("MAX_REPLAY", -1),
                       ("EVENT_RETENTION_DAYS", -1), ("BRIDGE_POLL_INTERVAL", -0.5),
                       ("REPLAY_THREADS", 0), ("LOG_CHECK_INTERVAL", 0), ("GAP_GRACE", -1)):
        realtime_settings(**{key: value})
        problems = check_settings()
        if ids(problems) != ["realtime.E002"] or key not in problems[0].msg:
            unchecked.append(key)
    assert unchecked == [], f"negative values pass the checks for {unchecked}"


def test_every_bad_key_is_reported(realtime_settings: Any) -> None:
    realtime_settings(MAX_CONNECTIONS=0, TOKEN_TTL=-1)
    problems = check_settings()
    assert ids(problems) == ["realtime.E002", "realtime.E002"]
    assert "MAX_CONNECTIONS" in problems[0].msg and "TOKEN_TTL" in problems[1].msg


def test_unknown_key_is_e001_naming_it(realtime_settings: Any) -> None:
    realtime_settings(PING_INTERVALL=1000)
    problems = check_settings()
    assert ids(problems) == ["realtime.E001"]
    assert "PING_INTERVALL" in problems[0].msg


def test_bad_dotted_path_is_e001(realtime_settings: Any) -> None:
    realtime_settings(PROFILE_RESOLVER="orders.realtime.no_such_function")
    problems = check_settings()
    assert ids(problems) == ["realtime.E001"]
    assert "no_such_function" in problems[0].msg


def test_manage_py_check_fails_on_a_bad_value(realtime_settings: Any) -> None:
    realtime_settings(PONG_TIMEOUT=0)
    with pytest.raises(SystemCheckError, match="realtime.E002"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_manage_py_check_passes() -> None:
    call_command("check", stdout=StringIO(), stderr=StringIO())


def test_deploy_check_warns_about_the_in_memory_layer(settings: Any) -> None:
    assert ids(check_deployment()) == ["realtime.W001"]
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:6379/0"]}}}
    assert check_deployment() == []


def test_no_prune_interval_is_w002(realtime_settings: Any) -> None:
    realtime_settings(PRUNE_INTERVAL=None)
    problems = check_settings()
    assert ids(problems) == ["realtime.W002"]
    assert "grows without bound" in problems[0].msg
    assert "'external'" in problems[0].msg and "prune_events" in problems[0].msg


@pytest.mark.parametrize("value", ["external", 3600, 0.5])
def test_a_prune_interval_or_external_passes(realtime_settings: Any, value: Any) -> None:
    realtime_settings(PRUNE_INTERVAL=value)
    assert check_settings() == []


@pytest.mark.parametrize("value", [0, -60, "3600", "extern", True, float("nan"),
                                   float("inf"), [3600]])
def test_a_bad_prune_interval_is_e002(realtime_settings: Any, value: Any) -> None:
    realtime_settings(PRUNE_INTERVAL=value)
    problems = check_settings()
    assert ids(problems) == ["realtime.E002"]
    assert "PRUNE_INTERVAL" in problems[0].msg and repr(value) in problems[0].msg


def test_manage_py_check_fails_on_a_bad_prune_interval(realtime_settings: Any) -> None:
    realtime_settings(PRUNE_INTERVAL="hourly")
    with pytest.raises(SystemCheckError, match="realtime.E002"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_the_prune_interval_env_var() -> None:
    from omni_sales.settings import prune_interval

    assert prune_interval("900") == 900.0
    assert prune_interval(" External ") == "external"
    assert prune_interval("off") is None and prune_interval("none") is None
    assert prune_interval("hourly") == "hourly"  # left for the check to name
