"""A socket ends with its credential, on every server process (docs/security.md,
"Identity lifetime"): two ``python -m realtime.server`` processes on PostgreSQL and
Redis, the change made by a third process (a shell), the close timed on the wall clock.

Signalled changes (logout, password change, revocation) must close within a second;
what no signal sees (``QuerySet.update``) within REVALIDATE_INTERVAL plus PING_INTERVAL,
both set to 1 s here.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.support.servers import DEMO_PASSWORD, DaphneServer, Project, session_cookie
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e

SIGNALLED = 1.0
FAST_SWEEP = {"WS_REVALIDATE_INTERVAL": "1", "WS_PING_INTERVAL": "1000",
              "WS_PONG_TIMEOUT": "500"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_server, postgres_server):
    project = Project.create(tmp_path_factory.mktemp("identity"), redis_url=redis_server.url,
                             database_url=postgres_server.url)
    servers = [DaphneServer.start(project, extra_env=FAST_SWEEP) for _ in range(2)]
    yield project, servers
    for server in servers:
        server.stop()


def changed_at(out: str) -> float:
    """The shell prints ``AT <time.time()>`` once its change has committed."""
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("AT ")))


def token_with_cookie(server: DaphneServer, cookie: str) -> str:
    """``POST /api/ws/token`` as the page's script does: the session cookie, and the CSRF
    token Django asks of a session-authenticated POST."""
    with urllib.request.urlopen(urllib.request.Request(f"{server.http}/login/",
                                                       headers={"Cookie": cookie})) as page:
        csrf = next(c.split("=", 1)[1].split(";")[0] for c in page.headers.get_all("Set-Cookie")
                    if c.startswith("csrftoken="))
    request = urllib.request.Request(
        f"{server.http}/api/ws/token", method="POST", data=b"",
        headers={"Cookie": f"{cookie}; csrftoken={csrf}", "X-CSRFToken": csrf,
                 "Referer": f"{server.http}/", "Origin": server.http})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["token"]


async def refused_reason(server: DaphneServer, token: str) -> str:
    ws = await WS.open(f"{server.ws}/api/ws")
    await ws.send("auth", {"token": token}, ref="again")
    reply = await ws.expect(lambda f: f.get("ref") == "again")
    await ws.close()
    assert reply["data"]["code"] == "auth_failed", reply
    return reply["data"]["reason"]


async def test_logout_closes_cookie_and_token_sockets_on_both_processes(cluster):
    project, (first, second) = cluster
    cookie = session_cookie(project, "staff")
    token = token_with_cookie(first, cookie)
    by_cookie = await WS.open(f"{first.ws}/api/ws", cookie=cookie, origin=first.http)
    by_token = await WS.open(f"{second.ws}/api/ws", token=token)
    unrelated = await WS.open(f"{second.ws}/api/ws",
                              token=fetch_token(second.http, "staff", DEMO_PASSWORD))
    out = await project.ashell(f"""
import time
from django.test import Client
client = Client()
client.cookies["sessionid"] = {cookie.split("=", 1)[1]!r}
client.logout()
print("AT", time.time())
""")
    at = changed_at(out)
    assert await by_cookie.wait_closed() == 4500
    assert await by_token.wait_closed() == 4500
    assert max(by_cookie.closed_at, by_token.closed_at) - at < SIGNALLED
    await unrelated.roundtrip()  # a token fetched with a password, not that session
    assert await refused_reason(first, token) == "revoked"
    await unrelated.close()


async def test_a_password_change_closes_every_socket_of_the_user(cluster):
    project, (first, second) = cluster
    cookie = session_cookie(project, "alice")
    token = fetch_token(first.http, "alice", DEMO_PASSWORD)
    by_cookie = await WS.open(f"{first.ws}/api/ws", cookie=cookie, origin=first.http)
    by_token = await WS.open(f"{second.ws}/api/ws", token=token)
    bystander = await WS.open(f"{second.ws}/api/ws",
                              token=fetch_token(second.http, "bob", DEMO_PASSWORD))
    out = await project.ashell("""
import time
from django.contrib.auth import get_user_model
user = get_user_model().objects.get(username="alice")
user.set_password("a-brand-new-password")
user.save()
print("AT", time.time())
""")
    at = changed_at(out)
    assert await by_cookie.wait_closed() == 4500
    assert await by_token.wait_closed() == 4500
    assert by_token.close_reason == "password changed"
    assert max(by_cookie.closed_at, by_token.closed_at) - at < SIGNALLED
    await bystander.roundtrip()
    assert await refused_reason(second, token) == "revoked"
    await bystander.close()


def revoke(server: DaphneServer, username: str, token: str) -> int:
    credentials = base64.b64encode(f"{username}:{DEMO_PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        f"{server.http}/api/ws/token/revoke", method="POST",
        data=json.dumps({"token": token}).encode(),
        headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def test_a_revoked_token_closes_its_sockets_on_the_other_process(cluster):
    project, (first, second) = cluster
    token = fetch_token(first.http, "manager", DEMO_PASSWORD)
    other = fetch_token(first.http, "manager", DEMO_PASSWORD)
    revoked = await WS.open(f"{second.ws}/api/ws", token=token)
    kept = await WS.open(f"{second.ws}/api/ws", token=other)
    assert revoke(first, "staff", token) == 403  # not theirs
    await revoked.roundtrip()
    asked = time.time()
    assert revoke(first, "manager", token) == 204
    assert await revoked.wait_closed() == 4500
    assert revoked.close_reason == "token revoked"
    assert revoked.closed_at - asked < SIGNALLED
    await kept.roundtrip()
    assert await refused_reason(first, token) == "revoked"
    await kept.close()


async def test_a_deactivation_no_signal_sees_is_caught_by_the_sweep(cluster):
    project, (first, second) = cluster
    cookie = session_cookie(project, "bob")
    by_cookie = await WS.open(f"{first.ws}/api/ws", cookie=cookie, origin=first.http)
    by_token = await WS.open(f"{second.ws}/api/ws",
                             token=fetch_token(second.http, "bob", DEMO_PASSWORD))
    out = await project.ashell("""
import time
from django.contrib.auth import get_user_model
get_user_model().objects.filter(username="bob").update(is_active=False)
print("AT", time.time())
""")
    at = changed_at(out)
    try:
        assert await by_cookie.wait_closed() == 4500
        assert await by_token.wait_closed() == 4500
        assert by_token.close_reason == "user deactivated"
        # REVALIDATE_INTERVAL (1 s) + PING_INTERVAL (1 s) + the sweep's own pong wait
        assert max(by_cookie.closed_at, by_token.closed_at) - at < 3.0
    finally:
        await project.ashell("from django.contrib.auth import get_user_model\n"
                             "get_user_model().objects.filter(username='bob')"
                             ".update(is_active=True)")
