"""realtime.checks: a bad REALTIME setting shows at ``manage.py check``."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from realtime import checks
from realtime.checks import (
    REQUIRED_APPS,
    check_asgi_application,
    check_channel_layers,
    check_deployment,
    check_installed_apps,
    check_server_guarantees,
    check_settings,
    missing_app_problems,
    runserver_problems,
)
from realtime.conf import get_config

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


@pytest.mark.parametrize("value", [-1, "100", 1.5, None, True])
def test_replay_memory_may_be_zero_but_not_less_or_another_type(realtime_settings: Any,
                                                                value: Any) -> None:
    realtime_settings(REPLAY_MEMORY=value)
    problems = check_settings()
    assert ids(problems) == ["realtime.E002"] and "REPLAY_MEMORY" in problems[0].msg
    realtime_settings(REPLAY_MEMORY=0)
    assert check_settings() == []


@pytest.mark.parametrize("value", ["30", "0/min", "30/week", 30, None])
@pytest.mark.parametrize("key", ["TOKEN_ATTEMPT_RATE", "TOKEN_RATE"])
def test_a_token_rate_must_be_a_drf_rate(realtime_settings: Any, key: str, value: Any) -> None:
    realtime_settings(**{key: value})
    problems = check_settings()
    assert ids(problems) == ["realtime.E002"] and key in problems[0].msg
    realtime_settings(**{key: "5/hour"})
    assert check_settings() == []


@pytest.mark.parametrize("origins", [
    ["*"], ["localhost", ".example.com", "[::1]", "127.0.0.1"],
    ["https://shop.example.com", "http://localhost:8000", "https://[::1]:8443",
     "https://.example.com"]])
def test_allowed_origins_of_every_form_pass(realtime_settings: Any, origins: list) -> None:
    realtime_settings(ALLOWED_ORIGINS=origins)
    assert check_settings() == []


@pytest.mark.parametrize(("origins", "named"), [
    (["localhost:8000"], "full origin"), (["127.0.0.1:9999"], "full origin"),
    (["https://shop.example.com/app"], "nothing after"), (["ws://localhost"], "http"),
    (["http://localhost:x"], "bad port"), (["http://"], "nothing after"), ([""], "not an"),
    ([None], "not an"), ("localhost", "a list")])
def test_an_origin_that_would_match_nothing_is_e002(realtime_settings: Any, origins: Any,
                                                    named: str) -> None:
    """A host pattern with a port reads as a scheme to the URL parser: it would match
    nothing, silently; the message says to write the full origin."""
    realtime_settings(ALLOWED_ORIGINS=origins)
    (problem,) = check_settings()
    assert problem.id == "realtime.E002" and "ALLOWED_ORIGINS" in problem.msg
    assert named in problem.msg, problem.msg


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


@pytest.fixture
def no_channel_layers(settings: Any) -> Iterator[None]:
    """A host without CHANNEL_LAYERS; deleting a setting sends no setting_changed, so
    the cached config is dropped by hand, before and after."""
    del settings.CHANNEL_LAYERS
    get_config.cache_clear()
    yield
    get_config.cache_clear()


@pytest.mark.usefixtures("no_channel_layers")
def test_no_channel_layers_is_e004_and_no_check_crashes() -> None:
    problems = check_channel_layers()
    assert ids(problems) == ["realtime.E004"]
    assert "CHANNEL_LAYERS is not set" in problems[0].msg
    assert "InMemoryChannelLayer" in problems[0].hint
    assert check_settings() == [] and check_deployment() == []


def test_channel_layers_without_a_default_is_e004(settings: Any) -> None:
    settings.CHANNEL_LAYERS = {"other": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    problems = check_channel_layers()
    assert ids(problems) == ["realtime.E004"] and "'default'" in problems[0].msg


@pytest.mark.usefixtures("no_channel_layers")
def test_manage_py_check_reports_e004_not_an_attribute_error() -> None:
    with pytest.raises(SystemCheckError, match="realtime.E004"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_the_project_has_its_layer_apps_and_route() -> None:
    assert check_channel_layers() == []
    assert check_installed_apps() == []
    assert check_asgi_application() == []


@pytest.mark.parametrize("app", list(REQUIRED_APPS))
def test_each_missing_required_app_is_e005_naming_it(app: str) -> None:
    installed = [config.name for config in django_apps.get_app_configs()]
    problems = missing_app_problems([name for name in installed if name != app])
    assert ids(problems) == ["realtime.E005"]
    assert repr(app) in problems[0].msg and app in problems[0].hint


def test_the_registered_check_reads_installed_apps() -> None:
    """The real registry with rest_framework and daphne left out of INSTALLED_APPS."""
    dropped = {"rest_framework", "daphne"}
    with override_settings(INSTALLED_APPS=[name for name in django_settings.INSTALLED_APPS
                                           if name not in dropped]):
        problems = check_installed_apps()
    assert ids(problems) == ["realtime.E005", "realtime.W003"]
    assert "'rest_framework'" in problems[0].msg and "500" in problems[0].msg


def test_no_daphne_is_w002_with_the_hint() -> None:
    problems = runserver_problems(["django.contrib.staticfiles", "channels", "realtime"])
    assert ids(problems) == ["realtime.W003"]
    assert "serves no WebSockets" in problems[0].msg
    assert 'Put "daphne" first' in problems[0].hint
    assert "python -m realtime.server" in problems[0].hint


def test_daphne_after_staticfiles_is_w002() -> None:
    """The first app with a runserver command wins: staticfiles' is Django's WSGI one."""
    problems = runserver_problems(["django.contrib.staticfiles", "daphne", "realtime"])
    assert ids(problems) == ["realtime.W003"] and "after" in problems[0].msg
    assert runserver_problems(["daphne", "django.contrib.staticfiles", "realtime"]) == []


def test_no_asgi_application_is_e006(settings: Any) -> None:
    del settings.ASGI_APPLICATION
    problems = check_asgi_application()
    assert ids(problems) == ["realtime.E006"]
    assert "ASGI_APPLICATION is not set" in problems[0].msg
    assert "realtime.routing.websocket_urlpatterns" in problems[0].hint
    assert "realtime.auth.websocket_stack" in problems[0].hint


def test_an_asgi_application_that_cannot_be_imported_is_e006(settings: Any) -> None:
    settings.ASGI_APPLICATION = "tests.realtime.no_such_module.application"
    problems = check_asgi_application()
    assert ids(problems) == ["realtime.E006"]
    assert "cannot be imported" in problems[0].msg
    assert "No module named 'tests.realtime.no_such_module'" in problems[0].msg


def test_an_asgi_module_that_raises_is_e006_with_the_text_not_a_traceback(
        settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing the application runs its module; whatever it raises is the message."""
    def broken(path: str) -> Any:
        raise RuntimeError("the database is not there yet")

    monkeypatch.setattr(checks, "import_string", broken)
    problems = check_asgi_application()
    assert ids(problems) == ["realtime.E006"]
    assert problems[0].msg.endswith("RuntimeError: the database is not there yet")
    assert "Traceback" not in problems[0].msg


@pytest.mark.parametrize("application", ["plain_django", "http_only"])
def test_an_asgi_application_without_a_websocket_route_is_e006(settings: Any,
                                                                application: str) -> None:
    settings.ASGI_APPLICATION = f"tests.realtime.asgi_apps.{application}"
    problems = check_asgi_application()
    assert ids(problems) == ["realtime.E006"]
    assert 'no "websocket" route' in problems[0].msg


def test_a_router_inside_middleware_is_found(settings: Any) -> None:
    settings.ASGI_APPLICATION = "tests.realtime.asgi_apps.wrapped"
    assert check_asgi_application() == []


def test_manage_py_check_reports_e006_for_a_bad_asgi_application(settings: Any) -> None:
    settings.ASGI_APPLICATION = "tests.realtime.asgi_apps.http_only"
    with pytest.raises(SystemCheckError, match="realtime.E006"):
        call_command("check", stdout=StringIO(), stderr=StringIO())


def test_deploy_check_says_which_guarantee_needs_realtime_server() -> None:
    problems = check_server_guarantees()
    assert ids(problems) == ["realtime.I001"]
    assert "frame-size guard" in problems[0].msg and "MAX_PAYLOAD" in problems[0].msg
    assert "python -m realtime.server" in problems[0].hint and "4009" in problems[0].hint
    assert "HANDSHAKE_TIMEOUT" in problems[0].msg and "client_header_timeout" in problems[0].hint
    err = StringIO()  # where ``check`` writes the issues that do not fail it
    call_command("check", deploy=True, stdout=StringIO(), stderr=err)
    assert "realtime.I001" in err.getvalue()


def test_a_shared_layer_with_a_per_process_cache_warns_w004(settings: Any) -> None:
    from realtime.checks import check_shared_cache

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1"]}}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    problems = check_shared_cache()
    assert ids(problems) == ["realtime.W004"] and "per process" in problems[0].msg
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1"}}
    assert check_shared_cache() == []
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert check_shared_cache() == []  # one process: its own cache is the shared one


def test_an_inbound_queue_not_above_the_burst_warns_w005(realtime_settings: Any) -> None:
    realtime_settings(INBOUND_QUEUE=100, RATE_LIMIT_BURST=100)
    assert ids(check_settings()) == ["realtime.W005"]
    realtime_settings(INBOUND_QUEUE=101)
    assert check_settings() == []
