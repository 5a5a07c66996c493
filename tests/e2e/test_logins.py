"""Password guessing against two ``python -m realtime.server`` processes on Redis and
PostgreSQL (docs/security.md, "Password guessing"): the token throttles count in the
shared cache, so a limit holds across processes; django-axes locks an account out.
"""

from __future__ import annotations

import base64
import urllib.error
import urllib.request

import pytest

from tests.support.servers import DEMO_PASSWORD, DaphneServer, Project, until
from tests.support.wsclient import WS

pytestmark = pytest.mark.e2e

LIMITS = {"WS_TOKEN_RATE": "60/min", "WS_TOKEN_ATTEMPT_RATE": "200/min",
          "AXES_FAILURE_LIMIT": "5"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_server, postgres_server):
    project = Project.create(tmp_path_factory.mktemp("logins"), redis_url=redis_server.url,
                             database_url=postgres_server.url, extra_env=LIMITS)
    servers = [DaphneServer.start(project) for _ in range(2)]
    yield project, servers
    for server in servers:
        server.stop()


def token_status(server: DaphneServer, username: str, password: str) -> int:
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    request = urllib.request.Request(f"{server.http}/api/ws/token", method="POST", data=b"",
                                     headers={"Authorization": f"Basic {basic}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_61st_token_request_is_refused_on_either_process(cluster):
    _, (first, second) = cluster
    codes = [token_status((first, second)[n % 2], "manager", DEMO_PASSWORD) for n in range(60)]
    assert codes == [200] * 60
    assert token_status(first, "manager", DEMO_PASSWORD) == 429
    assert token_status(second, "manager", DEMO_PASSWORD) == 429




async def test_failed_logins_lock_the_account_out_on_both_processes_and_are_counted(cluster):
    project, (first, second) = cluster
    # A process publishes its stats once it has served a socket.
    sockets = [await WS.open(f"{server.ws}/api/ws") for server in (first, second)]
    # Counted from here: other deployments of the session may share this Redis's stats.
    await until(lambda: len(first.admin_stats()["processes"]) >= 2, timeout=10,
                what="both processes in the stats")
    before = first.admin_stats()["loginFailures"]
    codes = [token_status((first, second)[n % 2], "staff", "not-the-password")
             for n in range(8)]
    assert codes == [401] * 4 + [429] * 4
    assert token_status(first, "staff", DEMO_PASSWORD) == 429
    assert token_status(second, "staff", DEMO_PASSWORD) == 429
    assert token_status(first, "alice", DEMO_PASSWORD) == 200  # only that account
    # Ten failed logins (the last two with the right password, refused while locked).
    counted = await until(lambda: (n := first.admin_stats()["loginFailures"] - before) >= 10
                          and n, timeout=10, what="the failures counted across both processes")
    assert counted == 10
    assert second.admin_stats()["loginLockouts"] >= 1
    for ws in sockets:
        await ws.close()
