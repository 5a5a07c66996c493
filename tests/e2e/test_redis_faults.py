"""Redis killed with SIGKILL and started again, with two server processes on PostgreSQL.

The client is on one process, saves go through the other's REST API. Nothing saved
during the outage may be lost to the open socket, a socket that connects and
subscribes during the outage must work (never 1011) and keep working once Redis is
back, and the stats must count only the sockets that are open.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from itertools import count

import pytest

from tests.support.servers import DEMO_PASSWORD, DaphneServer, Project, RedisServer, until
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e

_databases = count()


def basic(username: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{DEMO_PASSWORD}".encode()).decode()


def save_order(server: DaphneServer, customer: int, total: str) -> int:
    """An order saved through the server's REST API, as a person at a till would."""
    body = json.dumps({"customer": customer, "total": total, "channel": "pos"}).encode()
    request = urllib.request.Request(f"{server.http}/api/orders/", data=body, method="POST",
                                     headers={"Authorization": basic("admin"),
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["id"]


def get_json(server: DaphneServer, path: str) -> dict:
    request = urllib.request.Request(f"{server.http}{path}",
                                     headers={"Authorization": basic("admin")})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def created_orders(socket: WS) -> list[int]:
    return [frame["data"]["id"] for frame in socket.events("order:created")]


@pytest.fixture
def cluster(postgres_server, tmp_path):
    redis = RedisServer.start(tmp_path)
    project = Project.create(
        tmp_path, redis_url=redis.url,
        database_url=postgres_server.database(f"faults_{next(_databases)}"),
        extra_env={"WS_LOG_CHECK_INTERVAL": "0.5"})
    servers = [DaphneServer.start(project), DaphneServer.start(project)]
    yield project, redis, servers
    for server in servers:
        server.stop()
    redis.stop()


def customer_id(project: Project) -> int:
    out = project.shell("from orders.models import Customer\n"
                        "print(Customer.objects.order_by('pk').first().pk)")
    return int(out.strip().splitlines()[-1])


async def test_events_saved_while_redis_is_down_reach_open_and_new_sockets(cluster,
                                                                          tmp_path):
    project, redis, (a, b) = cluster
    customer = customer_id(project)
    steady = await WS.open(f"{a.ws}/api/ws", token=fetch_token(a.http, "admin", DEMO_PASSWORD))
    await steady.subscribe("orders")
    before = [save_order(b, customer, "10.00") for _ in range(3)]
    await until(lambda: created_orders(steady) == before, what="the events before the outage")

    redis.kill()
    # A handshake, an auth and a subscribe while Redis is down are served, not 1011.
    manager_token = fetch_token(a.http, "manager", DEMO_PASSWORD)
    newcomer = await WS.open(f"{a.ws}/api/ws", token=manager_token)
    assert (await newcomer.subscribe("orders"))["type"] == "subscribed"
    during = [save_order(b, customer, "20.00") for _ in range(5)]  # the saves never fail
    await until(lambda: created_orders(steady) == before + during, timeout=20,
                what="the events saved during the outage, from the event log")

    redis.restart(tmp_path)
    await until(lambda: get_json(a, "/api/ws/stats")["store"]["ok"], timeout=20,
                what="the stats store back on Redis")
    after = [save_order(b, customer, "30.00") for _ in range(3)]
    await until(lambda: created_orders(steady) == before + during + after, timeout=20,
                what="the events after Redis came back")
    await until(lambda: created_orders(newcomer) == during + after, timeout=20,
                what="the socket that subscribed during the outage to work")

    for socket in (steady, newcomer):
        ids = [frame["id"] for frame in socket.events("order:")]
        assert ids == sorted(set(ids)), "every event once, in position order"
    assert not steady.closed.is_set() and not newcomer.closed.is_set()

    # Only open sockets are counted: two, then none once they have closed.
    await until(lambda: get_json(a, "/api/ws/stats")["connections"]["total"] == 2,
                what="the two open sockets counted")
    await steady.close()
    await newcomer.close()
    await until(lambda: get_json(a, "/api/ws/stats")["connections"]["total"] == 0,
                what="no socket counted once they closed")
