"""Eight flooders, each sending 10,000 frames, three rounds, while a bystander pings every
50 ms (docs/security.md, "Floods"): under every ASGI server the flooders are closed with
4008, the bystander's pings keep their answers, and the server's memory comes back.

The latency bound asserted here only catches a stall (seconds, as before back-pressure);
the figures are bench/flood.py's, in docs/security.md.
"""

from __future__ import annotations

import pytest

from tests.support.flood import flood_round
from tests.support.servers import DaphneServer, Project, until

pytestmark = pytest.mark.e2e

STALL_MS = 500
# The bystander pings 20 times a second: within the rate limit it is held to (a limit of
# 100 a minute would answer its own pings with rate_limited). The flooders' budget grows
# with it, and 10,000 frames are still far past it.
BYSTANDER_LIMIT = {"WS_RATE_LIMIT": "1500"}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return Project.create(tmp_path_factory.mktemp("flood"))


@pytest.mark.parametrize("server_name", ["realtime", "daphne", "uvicorn"])
async def test_flooders_are_closed_and_the_bystander_is_not_held_up(project, server_name):
    server = DaphneServer.start(project, server=server_name, extra_env=BYSTANDER_LIMIT)
    try:
        url = f"{server.ws}/api/ws"
        before = server.rss_kib()
        rounds = [await flood_round(url) for _ in range(3)]
        after = server.rss_kib()
        # Every stopped flooder's consumer has left (its disconnect reached the app):
        # none stays in the groups and the caps until a heartbeat finds it.
        await until(lambda: server.admin_stats()["connections"]["total"] == 0, timeout=10,
                    what="no socket left after the rounds")
    finally:
        server.stop()
    for n, result in enumerate(rounds):
        print(f"{server_name} round {n}: {result.seconds:.1f}s sent={sum(result.sent)} "
              f"codes={sorted(set(result.close_codes), key=str)} p50={result.p50:.1f}ms "
              f"p99={result.p(0.99):.1f}ms max={max(result.rtts_ms):.1f}ms "
              f"lost={result.lost_pongs}")
    print(f"{server_name} RSS {before} -> {after} KiB")
    for result in rounds:
        assert result.close_codes == [4008] * 8, result.close_codes
        assert result.lost_pongs == 0
        assert result.p(0.99) < STALL_MS
    assert after <= before * 1.2, f"RSS {before} -> {after} KiB"
