"""The host test: a helpdesk project that is not Omni Sales, with realtime from the wheel.

tests/host/ is a minimal Django project (its own settings and roles, one app with a
``Ticket`` model and a ``tickets`` namespace owner-scoped to the ticket's requester),
set up as docs/integration.md says. It is copied to a temp dir and run with the venv
that has the wheel installed, so nothing of the checkout is on its ``sys.path``: no
``omni_sales``, no ``orders``, no demo namespace. Slow (a venv and real servers), e2e.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import free_port, wait_for
from tests.support.wheel import ROOT, clean_env, run
from tests.support.wsclient import WS

pytestmark = pytest.mark.e2e

PASSWORD = "host-pass-2024"  # noqa: S105 - the test users' password
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

USERS = f"""
from django.contrib.auth.models import User
User.objects.create_superuser("root", "root@example.com", {PASSWORD!r})
User.objects.create_user("agent", password={PASSWORD!r}, is_staff=True)
User.objects.create_user("alice", password={PASSWORD!r})
User.objects.create_user("bob", password={PASSWORD!r})
"""


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory: pytest.TempPathFactory, realtime_venv: Path) -> Path:
    """tests/host copied out of the checkout, migrated, with its users."""
    project = tmp_path_factory.mktemp("host") / "helpdesk"
    shutil.copytree(ROOT / "tests" / "host", project,
                    ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3"))
    manage(project, realtime_venv, "migrate", "--noinput")
    manage(project, realtime_venv, "shell", "-c", USERS)
    return project


def manage(project: Path, venv: Path, *args: str) -> str:
    return run(venv / "bin" / "python", "manage.py", *args, cwd=project)


def shell(project: Path, venv: Path, code: str) -> str:
    """Python in another process of the host (as its own shell would run it)."""
    return manage(project, venv, "shell", "-v", "0", "-c", code).strip().splitlines()[-1]


async def ashell(project: Path, venv: Path, code: str) -> str:
    return await asyncio.to_thread(shell, project, venv, code)


def save_ticket(requester: str, title: str, status: str = "open", *, rollback: bool = False,
                ticket: int | None = None) -> str:
    """Host shell code saving a ticket in a transaction (or rolling it back); prints its id."""
    find = (f"t = Ticket.objects.get(pk={ticket}); t.status = {status!r}; t.save()"
            if ticket else
            f"t = Ticket.objects.create(requester=User.objects.get(username={requester!r}), "
            f"title={title!r}, status={status!r})")
    body = f"    {find}\n" + ("    raise Rollback\n" if rollback else "")
    return ("from django.contrib.auth.models import User\n"
            "from django.db import transaction\n"
            "from helpdesk.models import Ticket\n"
            "class Rollback(Exception):\n    pass\n"
            "try:\n  with transaction.atomic():\n" + body +
            "except Rollback:\n  t = None\n"
            "print(t.pk if t else 0)")


@pytest.fixture(scope="module")
def server(helpdesk: Path, realtime_venv: Path) -> Iterator[str]:
    """``python -m realtime.server`` in the host, with the host's settings; its base URL."""
    port = free_port()
    log = helpdesk / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(realtime_venv / "bin" / "python"), "-m", "realtime.server", "-b", "127.0.0.1",
             "-p", str(port), "hostproject.asgi:application"],
            cwd=helpdesk, env=clean_env(DJANGO_SETTINGS_MODULE="hostproject.settings"),
            stdout=out, stderr=subprocess.STDOUT)
    base = f"127.0.0.1:{port}"

    def serving() -> bool:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        with urllib.request.urlopen(f"http://{base}/api/ws", timeout=1) as response:
            return response.status == 200

    try:
        wait_for(serving, timeout=30, what="realtime.server in the helpdesk")
        yield base
    finally:
        process.terminate()
        process.wait(10)


def token(base: str, username: str) -> str:
    credentials = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(f"http://{base}/api/ws/token", method="POST", data=b"",
                                     headers={"Authorization": f"Basic {credentials}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())["token"]


async def socket_of(base: str, username: str) -> WS:
    ws = await WS.open(f"ws://{base}/api/ws", token=token(base, username))
    assert (await ws.subscribe("tickets"))["data"]["namespace"] == "tickets"
    return ws


def tickets_seen(ws: WS) -> list[tuple[str, str]]:
    return [(f["type"], f["data"]["title"]) for f in ws.events("ticket:")]


def test_check_is_clean_and_realtime_comes_from_the_wheel(helpdesk: Path,
                                                          realtime_venv: Path) -> None:
    assert "no issues" in manage(helpdesk, realtime_venv, "check")
    where = shell(helpdesk, realtime_venv, "import importlib.util, realtime\n"
                  "print(realtime.__file__, importlib.util.find_spec('omni_sales'))")
    path, demo = where.split()
    assert "site-packages" in path and demo == "None"
    found = manage(helpdesk, realtime_venv, "findstatic", "realtime/js/index.js", "--first")
    assert str(realtime_venv) in found.strip().splitlines()[-1]


def test_the_catalogue_is_the_hosts(server: str) -> None:
    with urllib.request.urlopen(f"http://{server}/api/ws", timeout=5) as response:
        namespaces = json.loads(response.read())["namespaces"]
    assert set(namespaces) == {"tickets", "system"}
    assert namespaces["tickets"]["types"] == ["ticket:created", "ticket:updated"]
    assert namespaces["tickets"]["access"] == {"admin": "all", "agent": "all",
                                               "requester": "own", "anonymous": "no"}


async def test_saves_reach_sockets_after_commit_and_requesters_see_only_theirs(
        helpdesk: Path, realtime_venv: Path, server: str) -> None:
    agent, alice = await socket_of(server, "agent"), await socket_of(server, "alice")
    start = alice.frames[-1]["data"]["lastEventId"]
    await ashell(helpdesk, realtime_venv, save_ticket("alice", "printer jammed"))
    await ashell(helpdesk, realtime_venv, save_ticket("bob", "bob's laptop"))
    await ashell(helpdesk, realtime_venv, save_ticket("alice", "never saved", rollback=True))
    mine = int(await ashell(helpdesk, realtime_venv, save_ticket("alice", "vpn down")))
    await ashell(helpdesk, realtime_venv, save_ticket("alice", "", "solved", ticket=mine))

    await agent.expect(lambda f: f["type"] == "ticket:updated", timeout=15)
    await alice.expect(lambda f: f["type"] == "ticket:updated", timeout=15)
    await agent.roundtrip()
    await alice.roundtrip()
    assert tickets_seen(agent) == [("ticket:created", "printer jammed"),
                                   ("ticket:created", "bob's laptop"),
                                   ("ticket:created", "vpn down"),
                                   ("ticket:updated", "vpn down")]
    assert tickets_seen(alice) == [("ticket:created", "printer jammed"),
                                   ("ticket:created", "vpn down"),
                                   ("ticket:updated", "vpn down")]
    await alice.close()

    # On resume too: her tickets only, in order, none of bob's.
    again = await WS.open(f"ws://{server}/api/ws", token=token(server, "alice"))
    reply = await again.subscribe("tickets", since=start)
    assert reply["data"]["recovered"] is True
    await again.roundtrip()
    assert tickets_seen(again) == tickets_seen(agent)[:1] + tickets_seen(agent)[2:]
    await again.close()
    await agent.close()


def test_the_admin_live_stats_page_renders_for_a_superuser(helpdesk: Path,
                                                           realtime_venv: Path) -> None:
    status = shell(helpdesk, realtime_venv,
                   "from django.test import Client\n"
                   "c = Client(HTTP_HOST='localhost')\n"
                   f"assert c.login(username='root', password={PASSWORD!r})\n"
                   "print(c.get('/admin/realtime/processstats/').status_code)")
    assert status == "200"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium not found at /usr/bin/chromium")
def test_a_live_field_bound_to_ticket_updated_changes_in_chromium(
        helpdesk: Path, realtime_venv: Path, server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ticket = int(shell(helpdesk, realtime_venv, save_ticket("alice", "screen flickers")))
    session = shell(helpdesk, realtime_venv,
                    "from django.contrib.auth.models import User\n"
                    "from django.test import Client\n"
                    "c = Client()\nc.force_login(User.objects.get(username='agent'))\n"
                    "print(c.cookies['sessionid'].value)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_cookies([{"name": "sessionid", "value": session,
                              "url": f"http://{server}"}])
        page = context.new_page()
        page.goto(f"http://{server}/tickets/{ticket}/")
        field = page.locator('[data-rt-widget="live-field"]')
        expect(field).to_have_text("open")
        expect(page.locator('[data-rt-widget="connection"]')).to_have_attribute(
            "data-state", "open", timeout=15_000)
        shell(helpdesk, realtime_venv, save_ticket("alice", "", "in progress", ticket=ticket))
        expect(field).to_have_text("in progress", timeout=15_000)
        browser.close()
