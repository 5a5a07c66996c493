"""realtime.conf: one REALTIME dict, defaults, unknown keys, reload on override."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from realtime import roles
from realtime.conf import DEFAULTS, ImproperlyConfiguredRealtime, get_config, setting
from realtime.roles import default_role

from .conftest import realtime_config


def test_defaults_apply_to_keys_not_set(settings: Any) -> None:
    settings.REALTIME = {}
    config = get_config()
    assert config["MAX_CONNECTIONS"] == 10_000
    assert config["RATE_LIMIT"] == 100
    assert config["MAX_PAYLOAD"] == 1024 * 1024
    assert config["PING_INTERVAL"] == 30_000
    assert config["PONG_TIMEOUT"] == 5_000
    assert config["TOKEN_TTL"] == 300
    assert config["ALLOW_MISSING_ORIGIN"] is True
    assert config["ROLE_RESOLVER"] is default_role
    assert config["PROFILE_RESOLVER"] is roles.no_profile
    assert set(config) == set(DEFAULTS)


def test_a_set_key_overrides_only_itself(realtime_settings: Any) -> None:
    realtime_settings(MAX_CONNECTIONS=7)
    assert setting("MAX_CONNECTIONS") == 7
    assert setting("MAX_CONNECTIONS_PER_IP") == DEFAULTS["MAX_CONNECTIONS_PER_IP"]


def test_unknown_key_raises_naming_it(settings: Any) -> None:
    settings.REALTIME = realtime_config(MAX_CONECTIONS=5)
    with pytest.raises(ImproperlyConfiguredRealtime, match="MAX_CONECTIONS"):
        get_config()


def test_override_settings_reloads_and_restores() -> None:
    assert setting("PING_INTERVAL") == 30_000  # cached now
    with override_settings(REALTIME=realtime_config(PING_INTERVAL=1_500)):
        assert setting("PING_INTERVAL") == 1_500
    assert setting("PING_INTERVAL") == 30_000


def test_allowed_origins_default_to_allowed_hosts_and_follow_them() -> None:
    with override_settings(ALLOWED_HOSTS=["shop.example.com"]):
        assert setting("ALLOWED_ORIGINS") == ["shop.example.com"]
    with override_settings(ALLOWED_HOSTS=["other.example.com"]):
        assert setting("ALLOWED_ORIGINS") == ["other.example.com"]


def test_an_empty_allowed_hosts_means_the_local_names_under_debug_only() -> None:
    """As Django reads it: ``startproject``'s ALLOWED_HOSTS = [] with DEBUG on."""
    with override_settings(ALLOWED_HOSTS=[], DEBUG=True):
        assert setting("ALLOWED_ORIGINS") == ["localhost", "127.0.0.1", "[::1]"]
    with override_settings(ALLOWED_HOSTS=[], DEBUG=False):
        assert setting("ALLOWED_ORIGINS") == []


def test_explicit_allowed_origins_win_over_allowed_hosts(realtime_settings: Any) -> None:
    realtime_settings(ALLOWED_ORIGINS=["https://app.example.com"])
    assert setting("ALLOWED_ORIGINS") == ["https://app.example.com"]


def test_event_log_bridge_decided_by_the_channel_layer(settings: Any) -> None:
    settings.REALTIME = {}
    assert setting("EVENT_LOG_BRIDGE") is True  # the in-memory layer of the test settings
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    assert setting("EVENT_LOG_BRIDGE") is False


def test_dotted_paths_are_resolved(realtime_settings: Any) -> None:
    realtime_settings(ROLE_RESOLVER="realtime.roles.default_role")
    assert setting("ROLE_RESOLVER") is default_role
    from orders.realtime import customer_profile

    assert setting("PROFILE_RESOLVER") is customer_profile


def test_a_callable_resolver_is_kept_as_is(realtime_settings: Any) -> None:
    def resolver(user: Any, profile: Any) -> str:
        return "guest"

    realtime_settings(ROLE_RESOLVER=resolver)
    assert setting("ROLE_RESOLVER") is resolver


def test_bad_dotted_path_raises_naming_it(realtime_settings: Any) -> None:
    realtime_settings(ROLE_RESOLVER="realtime.roles.no_such_resolver")
    with pytest.raises(ImportError, match="no_such_resolver"):
        get_config()


def test_no_channel_layers_setting_reads_as_no_layer(settings: Any) -> None:
    """A fresh host without CHANNEL_LAYERS gets the config (realtime.E004 reports the
    setting), not an AttributeError from every check and every socket."""
    settings.REALTIME = {}
    del settings.CHANNEL_LAYERS
    get_config.cache_clear()  # deleting a setting sends no setting_changed
    try:
        assert setting("EVENT_LOG_BRIDGE") is True
    finally:
        get_config.cache_clear()
