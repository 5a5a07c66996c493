"""Floods against one server process: flooders, a bystander's latency, the server's memory.

    .venv/bin/python -m bench.flood [--server realtime|daphne|runserver|uvicorn]
        [--flooders 8] [--frames 10000] [--rounds 3] [--every 0.05]

The scenario of tests/e2e/test_flood.py (tests/support/flood.py), with numbers: each
round, ``--flooders`` sockets send ``--frames`` pings as fast as the connection takes
them, from a process of their own, while a bystander pings every ``--every`` seconds
and times each round trip. Printed per round: the close codes the flooders got, the
bystander's p50/p99/max, and the server's RSS before the first round and after each.
Written to bench/results/flood-<server>-<date>.json. The server's rate limit is 1,500
frames a minute, so the bystander (20 a second) stays within it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import tempfile
from pathlib import Path

from tests.support.flood import flood_round
from tests.support.servers import ROOT, SERVERS, DaphneServer, Project


async def run(args: argparse.Namespace) -> dict:
    project = Project.create(Path(tempfile.mkdtemp(prefix="omni-flood-")))
    server = DaphneServer.start(project, server=args.server, extra_env={"WS_RATE_LIMIT": "1500"})
    rounds = []
    try:
        before = server.rss_kib()
        for _ in range(args.rounds):
            result = await flood_round(f"{server.ws}/api/ws", args.flooders, args.frames,
                                       args.every)
            rounds.append({
                "seconds": round(result.seconds, 2), "framesSent": sum(result.sent),
                "closeCodes": result.close_codes, "bystanderPings": len(result.rtts_ms),
                "lostPongs": result.lost_pongs, "p50ms": round(result.p50, 2),
                "p99ms": round(result.p(0.99), 2), "maxMs": round(max(result.rtts_ms), 2),
                "rssKiB": server.rss_kib()})
            print(json.dumps(rounds[-1]))
    finally:
        server.stop()
    return {"server": args.server, "flooders": args.flooders, "frames": args.frames,
            "rssBeforeKiB": before, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", choices=list(SERVERS), default="realtime")
    parser.add_argument("--flooders", type=int, default=8)
    parser.add_argument("--frames", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--every", type=float, default=0.05)
    report = asyncio.run(run(parser.parse_args()))
    out = ROOT / "bench" / "results" / f"flood-{report['server']}-{dt.date.today()}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"RSS {report['rssBeforeKiB']} KiB before; written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
