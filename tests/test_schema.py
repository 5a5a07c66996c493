"""The OpenAPI schema (/api/schema/) and its docs page (/api/docs/).

The schema is checked against the URLconf it describes, walked here independently of
drf-spectacular, and the hand-described shapes of realtime's views (realtime/openapi.py)
against what those views really answer.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.test import APIClient

from tests.conftest import USER_PASSWORD

NOT_OPERATIONS = {"options", "head", "trace"}


def route_of(pattern: str) -> str:
    """``api/`` + ``^orders/(?P<pk>[^/.]+)/$`` -> ``api/orders/{}/``: parameters unnamed,
    as the schema names them its own way (``pk`` becomes ``id``)."""
    pattern = re.sub(r"\(\?P<\w+>[^)]*\)", "{}", pattern)
    pattern = re.sub(r"<(?:\w+:)?\w+>", "{}", pattern)
    pattern = re.sub(r"\{\w+\}", "{}", pattern)
    return pattern.replace("^", "").replace("$", "").replace("\\", "")


def methods_of(callback: Any) -> set[str] | None:
    """The HTTP methods a DRF view answers; None for a view that does not say."""
    if getattr(callback, "actions", None):
        # DRF adds "head" to a viewset's actions at its first request.
        return set(callback.actions) - NOT_OPERATIONS
    cls = getattr(callback, "cls", None)
    if cls is None:
        return None
    return {m for m in cls.http_method_names if m not in NOT_OPERATIONS and hasattr(cls, m)}


def url_routes() -> dict[str, tuple[Any, set[str] | None]]:
    """Every route of the project's URLconf: ``/path/`` -> (view, its methods)."""
    routes: dict[str, tuple[Any, set[str] | None]] = {}

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = "/" + route_of(prefix + str(entry.pattern))
                routes.setdefault(route, (entry.callback, methods_of(entry.callback)))

    walk(get_resolver().url_patterns, "")
    return routes


def is_schema_view(callback: Any) -> bool:
    """/api/schema/ and /api/docs/ themselves, which drf-spectacular leaves out."""
    return getattr(callback, "cls", type).__module__.startswith("drf_spectacular.")


@pytest.fixture
def schema(db: Any) -> dict[str, Any]:
    response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_spectacular_writes_a_valid_schema_without_warnings(tmp_path: Path) -> None:
    """``manage.py spectacular --validate --fail-on-warn --file schema.yml``."""
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.")
    assert "/api/orders/{id}/" in document["paths"]


def test_every_api_route_is_in_the_schema_with_its_methods(schema: dict[str, Any]) -> None:
    documented = {route_of(path): {m for m in operations if m not in NOT_OPERATIONS}
                  for path, operations in schema["paths"].items()}
    api = {route: methods for route, (view, methods) in url_routes().items()
           if route.startswith("/api/") and not is_schema_view(view)}
    assert len(api) >= 10  # the walk found the routers' routes and realtime's
    for route, methods in api.items():
        assert route in documented, route
        if methods is not None:
            assert documented[route] == methods, route


def test_the_schema_has_no_path_the_urlconf_lacks(schema: dict[str, Any]) -> None:
    routes = url_routes()
    assert {route_of(path) for path in schema["paths"]} <= set(routes)
    assert not any(is_schema_view(routes[route_of(p)][0]) for p in schema["paths"])


def test_the_schema_is_public(db: Any) -> None:
    """It describes shapes, not data (SPECTACULAR_SETTINGS in omni_sales/settings.py)."""
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/ws/token" in response.content


# The shapes realtime/openapi.py gives its views, against real answers.


def deref(node: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The schema object behind ``$ref``s; ``allOf`` of one member is that member."""
    while True:
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        elif len(node.get("allOf", ())) == 1:
            node = node["allOf"][0]
        else:
            return node


SCALARS = {"integer": int, "number": (int, float), "string": str, "boolean": bool}


def mismatches(value: Any, node: dict[str, Any], document: dict[str, Any],
               where: str = "$") -> list[str]:
    """Where ``value`` differs from the schema ``node``: keys, item and scalar types."""
    node = deref(node, document)
    if not node:  # any value
        return []
    if value is None:
        return [] if node.get("nullable") else [f"{where}: null"]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        problems = []
        if "properties" in node:
            if set(value) != set(node["properties"]):
                problems.append(f"{where}: keys {sorted(set(value) ^ set(node['properties']))}")
            for key in set(value) & set(node["properties"]):
                problems += mismatches(value[key], node["properties"][key], document,
                                       f"{where}.{key}")
        elif isinstance(node.get("additionalProperties"), dict):
            for key, item in value.items():
                problems += mismatches(item, node["additionalProperties"], document,
                                       f"{where}.{key}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: not an array"]
        return [p for i, item in enumerate(value)
                for p in mismatches(item, node.get("items", {}), document, f"{where}[{i}]")]
    if kind in SCALARS:
        wrong = not isinstance(value, SCALARS[kind]) or (
            kind != "boolean" and isinstance(value, bool))
        return [f"{where}: {value!r} is not {kind}"] if wrong else []
    return []


def answer_schema(document: dict[str, Any], path: str, method: str,
                  status: int) -> dict[str, Any]:
    content = document["paths"][path][method]["responses"][str(status)]["content"]
    return content["application/json"]["schema"]


def basic(username: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{USER_PASSWORD}".encode()).decode()


@pytest.mark.parametrize(("method", "path", "who"), [
    ("get", "/api/ws", None),
    ("get", "/api/ws/info", None),
    ("get", "/api/ws/info", "staff"),
    ("post", "/api/ws/token", "staff"),
    ("get", "/api/ws/stats", "admin"),
    ("get", "/api/ws/presence", "manager"),
])
def test_realtime_answers_have_the_documented_shape(
        schema: dict[str, Any], make_user: Any, method: str, path: str,
        who: str | None) -> None:
    client = APIClient()
    if who is not None:
        make_user(who, is_superuser=who == "admin", is_staff=who != "manager",
                  groups=("manager",) if who == "manager" else ())
        client.credentials(HTTP_AUTHORIZATION=basic(who))
    response = getattr(client, method)(path)
    assert response.status_code == 200, response.content
    assert mismatches(response.json(), answer_schema(schema, path, method, 200), schema) == []


def test_the_shape_check_catches_a_missing_key(schema: dict[str, Any]) -> None:
    """The check above can fail: an answer without ``expiresIn`` does not pass."""
    shape = answer_schema(schema, "/api/ws/token", "post", 200)
    assert mismatches({"token": "t"}, shape, schema) == ["$: keys ['expiresIn']"]
    assert mismatches({"token": "t", "expiresIn": "300"}, shape, schema) == [
        "$.expiresIn: '300' is not integer"]


# The docs page: Swagger UI from drf-spectacular-sidecar's static files.

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


@pytest.fixture
def docs_page(db: Any) -> str:
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_the_docs_page_calls_no_other_host(docs_page: str) -> None:
    assert "http://" not in docs_page and "https://" not in docs_page
    assert not any(url.startswith("//") for url in ASSET.findall(docs_page))
    assert 'url: "/api/schema/"' in docs_page


def test_the_docs_page_assets_are_served_locally(docs_page: str) -> None:
    from omni_sales.asgi import application

    assets = [url for url in ASSET.findall(docs_page) if url.startswith(settings.STATIC_URL)]
    assert {Path(url).name for url in assets} >= {"swagger-ui-bundle.js", "swagger-ui.css"}
    for url in assets:
        found = finders.find(url.removeprefix(settings.STATIC_URL))
        assert found, url
        status, body = async_to_sync(asgi_get)(application, url)
        assert status == 200, url
        assert body == Path(found).read_bytes(), url


async def asgi_get(application: Any, path: str) -> tuple[int, bytes]:
    """GET through the project's ASGI application, as the server would (the static
    handler's last message may carry no body, which channels' HttpCommunicator refuses)."""
    scope = {"type": "http", "http_version": "1.1", "method": "GET", "path": path,
             "raw_path": path.encode(), "query_string": b"", "scheme": "http",
             "headers": [(b"host", b"127.0.0.1")], "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 5000)}
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        message = await communicator.receive_output(10)
        body += message.get("body", b"")
        if not message.get("more_body"):
            return start["status"], body
