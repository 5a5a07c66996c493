"""The embedded mode's event-log bridge between processes, with real Daphne processes:
a save in another process wakes the server at once (realtime/wake.py); with the
wake-up unavailable, the poll still delivers."""

from __future__ import annotations

import pytest

from tests.support.servers import DEMO_PASSWORD, DaphneServer, Project
from tests.support.wsclient import WS, fetch_token

pytestmark = pytest.mark.e2e

NOTIFY = ("from realtime.publish import emit; "
          "emit('system:notification', {'title': %r, 'message': 'm'}, everyone=True)")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return Project.create(tmp_path_factory.mktemp("bridge"))


async def listener(server: DaphneServer) -> WS:
    socket = await WS.open(f"{server.ws}/api/ws",
                           token=fetch_token(server.http, "admin", DEMO_PASSWORD))
    await socket.subscribe("system")
    return socket


async def test_a_save_in_another_process_wakes_the_bridge_without_waiting_for_the_poll(
        project):
    # A poll every 10 minutes: only the wake-up can deliver within the test's wait.
    server = DaphneServer.start(project, extra_env={"WS_BRIDGE_POLL_INTERVAL": "600"})
    try:
        socket = await listener(server)
        await project.ashell(NOTIFY % "woken")
        frame = await socket.expect(lambda f: f["type"] == "system:notification", timeout=60)
        assert frame["data"]["title"] == "woken"
        await socket.close()
    finally:
        server.stop()


async def test_a_second_server_on_the_same_database_falls_back_to_polling(project):
    first = DaphneServer.start(project, extra_env={"WS_BRIDGE_POLL_INTERVAL": "600"})
    second = DaphneServer.start(project, extra_env={"WS_BRIDGE_POLL_INTERVAL": "0.2"})
    try:
        # Each bridge starts with its first socket: the first server's binds the address.
        first_socket = await listener(first)
        second_socket = await listener(second)
        await project.ashell(NOTIFY % "both")
        for socket in (first_socket, second_socket):
            frame = await socket.expect(lambda f: f["type"] == "system:notification",
                                        timeout=60)
            assert frame["data"]["title"] == "both"
            await socket.close()
        assert "polling only" in second.log()
    finally:
        first.stop()
        second.stop()
