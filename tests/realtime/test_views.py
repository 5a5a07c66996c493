"""realtime.views: GET /api/ws, GET /api/ws/info, POST /api/ws/token, GET /api/ws/stats."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from realtime.tokens import user_for_token
from tests.conftest import USER_PASSWORD

from . import spec


def basic(username: str, password: str = USER_PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# GET /api/ws


def test_describe_lists_namespaces_and_the_23_types(db: Any, api_client: APIClient) -> None:
    response = api_client.get("/api/ws")
    assert response.status_code == 200
    body = response.json()
    assert body["protocol"] == 1
    assert {name: tuple(ns["types"]) for name, ns in body["namespaces"].items()} == \
        spec.EVENT_TYPES
    assert sum(len(ns["types"]) for ns in body["namespaces"].values()) == 23
    for name, ns in body["namespaces"].items():
        assert ns["access"] == {role: spec.ROLE_MATRIX[role][name] for role in spec.ROLES}
    assert body["endpoints"]["multiplexed"] == "ws://testserver/api/ws"
    assert "/ws/" in body["endpoints"]["namespace"]
    assert sorted(body["errorCodes"]) == sorted(spec.ERROR_CODES)


def test_describe_uses_wss_behind_https(db: Any, api_client: APIClient) -> None:
    body = api_client.get("/api/ws", secure=True).json()
    assert body["endpoints"]["multiplexed"] == "wss://testserver/api/ws"


# GET /api/ws/info


def test_info_for_an_anonymous_caller(db: Any, api_client: APIClient) -> None:
    response = api_client.get("/api/ws/info")
    assert response.status_code == 200
    body = response.json()
    assert (body["role"], body["userId"], body["namespaces"]) == ("guest", None, ["products"])
    limits = body["limits"]
    assert limits["maxConnections"] == 10_000
    assert limits["maxPayload"] == 1024 * 1024
    assert limits["rateLimit"]["frames"] == 100
    assert limits["rateLimit"]["per"] == 60_000
    assert limits["heartbeat"] == {"interval": 30_000, "timeout": 5_000}
    assert isinstance(body["features"], list) and body["features"]


def test_info_limits_follow_settings(db: Any, api_client: APIClient,
                                     realtime_settings: Any) -> None:
    realtime_settings(MAX_CONNECTIONS=50, RATE_LIMIT=10, MAX_PAYLOAD=4096,
                      PING_INTERVAL=1000, PONG_TIMEOUT=500)
    limits = api_client.get("/api/ws/info").json()["limits"]
    assert limits["maxConnections"] == 50
    assert limits["rateLimit"]["frames"] == 10
    assert limits["maxPayload"] == 4096
    assert limits["heartbeat"] == {"interval": 1000, "timeout": 500}


@pytest.mark.parametrize("role", ["admin", "manager", "staff", "customer"])
def test_info_namespaces_per_role(db: Any, api_client: APIClient, users: dict,
                                  role: str) -> None:
    api_client.force_login(users[role])
    body = api_client.get("/api/ws/info").json()
    assert (body["role"], body["userId"]) == (role, users[role].pk)
    assert body["namespaces"] == spec.allowed(role)


def test_info_with_http_basic(db: Any, api_client: APIClient, manager_user: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=basic("manager"))
    assert api_client.get("/api/ws/info").json()["role"] == "manager"


# POST /api/ws/token


def test_token_refused_to_an_anonymous_caller(db: Any, api_client: APIClient) -> None:
    response = api_client.post("/api/ws/token")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_token_refused_with_a_wrong_password(db: Any, api_client: APIClient,
                                             staff_user: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=basic("staff", "wrong-password"))
    assert api_client.post("/api/ws/token").status_code == 401


def test_token_with_http_basic(db: Any, api_client: APIClient, staff_user: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=basic("staff"))
    response = api_client.post("/api/ws/token")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiresIn"}
    assert body["expiresIn"] == 300
    assert user_for_token(body["token"]) == staff_user


def test_token_with_a_session(db: Any, api_client: APIClient, alice: Any,
                              realtime_settings: Any) -> None:
    realtime_settings(TOKEN_TTL=60)
    api_client.force_login(alice)
    response = api_client.post("/api/ws/token")
    assert response.status_code == 200
    assert response.json()["expiresIn"] == 60
    assert user_for_token(response.json()["token"]) == alice


def test_token_needs_post(db: Any, api_client: APIClient, alice: Any) -> None:
    api_client.force_login(alice)
    assert api_client.get("/api/ws/token").status_code == 405


@pytest.mark.django_db(transaction=True)
async def test_token_from_the_endpoint_is_accepted_by_the_socket(connect: Any,
                                                                 alice: Any) -> None:
    def fetch() -> str:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=basic("alice"))
        response = client.post("/api/ws/token")
        assert response.status_code == 200
        return response.json()["token"]

    token = await database_sync_to_async(fetch)()
    socket = await connect()
    reply = await socket.request("auth", {"token": token}, ref=1)
    assert reply == {"type": "authenticated", "ref": 1, "data": {
        "userId": alice.pk, "role": "customer", "namespaces": spec.allowed("customer")}}


# GET /api/ws/stats


def test_stats_refused_to_an_anonymous_caller(db: Any, api_client: APIClient) -> None:
    assert api_client.get("/api/ws/stats").status_code == 401


@pytest.mark.parametrize("role", ["manager", "staff", "customer"])
def test_stats_forbidden_below_admin(db: Any, api_client: APIClient, users: dict,
                                     role: str) -> None:
    api_client.force_login(users[role])
    assert api_client.get("/api/ws/stats").status_code == 403


def test_stats_forbidden_to_a_user_without_a_role(db: Any, api_client: APIClient,
                                                  guest_user: Any) -> None:
    api_client.force_login(guest_user)
    assert api_client.get("/api/ws/stats").status_code == 403


def test_stats_for_an_admin(db: Any, api_client: APIClient, admin_user: Any) -> None:
    api_client.credentials(HTTP_AUTHORIZATION=basic("admin"))
    response = api_client.get("/api/ws/stats")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["connections"]["total"], int)
    assert isinstance(body["processes"], list) and body["processes"]


@pytest.mark.django_db(transaction=True)
async def test_stats_count_open_sockets(connect: Any, admin_user: Any) -> None:
    def total() -> int:
        client = APIClient()
        client.force_login(admin_user)
        return client.get("/api/ws/stats").json()["connections"]["total"]

    before = await database_sync_to_async(total)()
    socket = await connect()
    assert await database_sync_to_async(total)() == before + 1
    await socket.close()
    assert await database_sync_to_async(total)() == before
