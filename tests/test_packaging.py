"""The wheel of the realtime app, installed into a fresh venv and used by a bare host project.

The host is ``django-admin startproject host`` plus what README.md's Install section
says, run from a temp dir: nothing of the checkout is on its ``sys.path``, so every
template, static file, migration and tag it finds comes from the wheel. Slow (a build
and a pip install), hence e2e.
"""

from __future__ import annotations

import json
import subprocess
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.servers import free_port, wait_for
from tests.support.wheel import ROOT, clean_env, run

pytestmark = pytest.mark.e2e

# README.md's Install section, appended to the settings startproject writes.
HOST_SETTINGS = """
INSTALLED_APPS = ["daphne", *INSTALLED_APPS, "channels", "rest_framework", "realtime"]
ASGI_APPLICATION = "host.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
"""
HOST_ASGI = '''"""The host's ASGI application: HTTP through Django, WebSockets through realtime."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "host.settings")
django_http = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from realtime.auth import websocket_stack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_http,
    "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
})
'''
HOST_URLS = '''"""The host's URLs: the admin and realtime's HTTP endpoints."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [path("admin/", admin.site.urls), path("", include("realtime.urls"))]
'''

# Renders generic widgets and the admin page in the host; prints what the test checks.
RENDER = """
import importlib.util, json, sys
from django.contrib.auth.models import AnonymousUser, User
from django.template import engines
from django.test import Client

page = engines["django"].from_string(
    "{% load realtime %}{% connection_indicator %}{% notifications %}{% realtime_scripts %}")
admin = User.objects.create_superuser("root", "root@example.com", "host-pass-2024")
client = Client(HTTP_HOST="localhost")
client.force_login(admin)
stats = client.get("/admin/realtime/processstats/")
print(json.dumps({
    "anonymous": page.render({"user": AnonymousUser()}),
    "admin": page.render({"user": admin}),
    "stats_status": stats.status_code,
    "stats_body": stats.content.decode(),
    "index_has_link": "Live stats" in client.get("/admin/").content.decode(),
    "checkout_importable": importlib.util.find_spec("omni_sales") is not None,
    "demo_apps_loaded": sorted({"orders", "inventory", "omni_sales"} & set(sys.modules)),
}))
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packaging")


@pytest.fixture(scope="module")
def wheel(realtime_wheel: Path) -> Path:
    return realtime_wheel


@pytest.fixture(scope="module")
def venv(realtime_venv: Path) -> Path:
    return realtime_venv


@pytest.fixture(scope="module")
def site_packages(venv: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    return Path(run(venv / "bin" / "python", "-c", code, cwd=venv).strip()).resolve()


@pytest.fixture(scope="module")
def host(workdir: Path, venv: Path) -> Path:
    """``django-admin startproject host`` with the Install section's settings."""
    projects = workdir / "projects"
    projects.mkdir()
    run(venv / "bin" / "django-admin", "startproject", "host", cwd=projects)
    project = projects / "host"
    with (project / "host" / "settings.py").open("a") as settings:
        settings.write(HOST_SETTINGS)
    (project / "host" / "asgi.py").write_text(HOST_ASGI)
    (project / "host" / "urls.py").write_text(HOST_URLS)
    return project


def manage(host: Path, venv: Path, *args: str) -> str:
    return run(venv / "bin" / "python", "manage.py", *args, cwd=host)


@pytest.fixture(scope="module")
def migrated(host: Path, venv: Path) -> str:
    return manage(host, venv, "migrate", "--noinput")


def test_the_wheel_holds_the_app_with_its_files_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("omni_realtime-1.0.0.dist-info/METADATA").decode()
    for name in ("realtime/templates/realtime/widgets/connection.html",
                 "realtime/templates/realtime/widgets/scripts.html",
                 "realtime/templates/admin/realtime/stats.html",
                 "realtime/static/realtime/js/index.js",
                 "realtime/static/realtime/widgets/boot.js",
                 "realtime/static/realtime/admin/stats.js",
                 "realtime/migrations/0001_initial.py",
                 "realtime/templatetags/realtime.py",
                 "realtime/management/commands/notify.py"):
        assert name in names, name
    assert {name.split("/")[0] for name in names} == {"realtime", "omni_realtime-1.0.0.dist-info"}
    assert not any(name.endswith(".pyc") for name in names)
    # Every file of the package in the checkout, .py or not.
    package = {path.relative_to(ROOT).as_posix() for path in (ROOT / "realtime").rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert {name for name in names if name.startswith("realtime/")} == package
    for requirement in ("Django<6,>=5.2", "channels<5,>=4.3", "daphne", "channels-redis",
                        "redis", "djangorestframework", "prometheus-client"):
        assert f"Requires-Dist: {requirement}" in metadata, requirement


def test_the_host_imports_realtime_from_the_venv(host: Path, venv: Path,
                                                 site_packages: Path) -> None:
    path = run(venv / "bin" / "python", "-c", "import realtime; print(realtime.__file__)",
               cwd=host)
    assert Path(path.strip()).resolve().is_relative_to(site_packages / "realtime")


def test_check_and_migrate_pass_in_the_host(host: Path, venv: Path, migrated: str) -> None:
    assert "no issues" in manage(host, venv, "check")
    assert "Applying realtime.0001_initial... OK" in migrated


def test_check_in_a_bare_host_reports_what_is_missing(workdir: Path, venv: Path) -> None:
    """startproject plus "realtime" alone: the check's errors, each naming its fix, where
    manage.py check used to crash with an AttributeError on CHANNEL_LAYERS."""
    projects = workdir / "bare"
    projects.mkdir()
    run(venv / "bin" / "django-admin", "startproject", "bare", cwd=projects)
    with (projects / "bare" / "bare" / "settings.py").open("a") as settings:
        settings.write('\nINSTALLED_APPS = [*INSTALLED_APPS, "realtime"]\n')
    result = subprocess.run([str(venv / "bin" / "python"), "manage.py", "check"],
                            cwd=projects / "bare", env=clean_env(), text=True,
                            capture_output=True, timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    for expected in ("realtime.E004", "'channels' is not in INSTALLED_APPS",
                     "'rest_framework' is not in INSTALLED_APPS", "realtime.E006",
                     "realtime.W003"):
        assert expected in result.stderr, expected


# A host that documents its API with drf-spectacular: realtime/openapi.py describes
# realtime's endpoints there; the wheel itself does not require drf-spectacular.
HOST_OPENAPI_SETTINGS = """from .settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "drf_spectacular"]  # noqa: F405
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
"""


def test_a_host_with_drf_spectacular_gets_realtimes_endpoints_described(
        host: Path, venv: Path, wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("omni_realtime-1.0.0.dist-info/METADATA").decode()
    assert "Requires-Dist: drf-spectacular" not in metadata
    (host / "host" / "settings_openapi.py").write_text(HOST_OPENAPI_SETTINGS)
    schema = manage(host, venv, "spectacular", "--settings", "host.settings_openapi",
                    "--validate", "--fail-on-warn")
    for expected in ("/api/ws/info:", "/api/ws/token/revoke:", "/metrics:",
                     "$ref: '#/components/schemas/RealtimeInfo'", "realtimeBasicAuth:"):
        assert expected in schema, expected


def test_findstatic_finds_the_js_in_the_venv(host: Path, venv: Path,
                                             site_packages: Path) -> None:
    for name in ("realtime/js/index.js", "realtime/widgets/boot.js", "realtime/admin/stats.js"):
        found = manage(host, venv, "findstatic", name, "--first").strip().splitlines()[-1]
        assert Path(found.strip()).resolve().is_relative_to(site_packages), found


def test_widgets_and_the_admin_page_render_from_the_wheel(host: Path, venv: Path,
                                                          migrated: str) -> None:
    shown = json.loads(manage(host, venv, "shell", "-v", "0", "-c", RENDER).splitlines()[-1])
    assert not shown["checkout_importable"] and shown["demo_apps_loaded"] == []
    assert 'data-rt-widget="connection"' in shown["anonymous"]
    assert 'src="/static/realtime/widgets/boot.js"' in shown["anonymous"]
    assert 'data-rt-widget="notifications"' not in shown["anonymous"]
    assert 'data-rt-widget="notifications"' in shown["admin"]
    assert '"role": "admin"' in shown["admin"]
    assert shown["stats_status"] == 200
    assert 'src="/static/realtime/admin/stats.js"' in shown["stats_body"]
    assert shown["index_has_link"]


@pytest.fixture
def server(host: Path, venv: Path, migrated: str, request: pytest.FixtureRequest) -> Iterator:
    """``python -m realtime.server host.asgi:application`` in the host; the parameter is
    the environment's DJANGO_SETTINGS_MODULE (None: unset)."""
    port = free_port()
    settings = request.param
    env = clean_env(**({"DJANGO_SETTINGS_MODULE": settings} if settings else {}))
    log = host / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "python"), "-m", "realtime.server", "-b", "127.0.0.1",
             "-p", str(port), "host.asgi:application"],
            cwd=host, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process, port, log
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def serves(process: subprocess.Popen, port: int) -> bool:
    """Polled until the server answers ``GET /api/ws``; False once it has exited."""
    if process.poll() is not None:
        return True
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ws", timeout=1) as response:
        return response.status == 200


@pytest.mark.parametrize("server", ["host.settings"], indirect=True)
def test_the_server_serves_sockets_in_the_host(server: tuple) -> None:
    process, port, log = server
    wait_for(lambda: serves(process, port), timeout=30, what="realtime.server in the host")
    assert process.poll() is None, log.read_text()
    # A script's socket: no Origin header (ALLOW_MISSING_ORIGIN is on by default).
    with connect(f"ws://127.0.0.1:{port}/api/ws") as ws:
        frame = json.loads(ws.recv(timeout=10))
    assert frame["type"] == "connected", frame
    # A page's socket under runserver's DEBUG defaults: startproject leaves ALLOWED_HOSTS
    # empty, which Django reads as localhost, 127.0.0.1 and [::1] while DEBUG is on.
    with connect(f"ws://127.0.0.1:{port}/api/ws", origin=f"http://localhost:{port}") as ws:
        frame = json.loads(ws.recv(timeout=10))
    assert frame["type"] == "connected", frame
    # Not a local name: refused with 403 as ever.
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://127.0.0.1:{port}/api/ws", origin="http://evil.example")
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("server", [None], indirect=True)
def test_the_server_without_settings_says_so_instead_of_loading_the_demos(
        server: tuple) -> None:
    """No DJANGO_SETTINGS_MODULE and no --settings: status 2 and one line, like a usage
    error, where it used to load omni_sales.settings (No module named 'omni_sales')."""
    process, port, log = server
    assert process.wait(30) == 2
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and "set DJANGO_SETTINGS_MODULE or pass --settings" in lines[0], lines
