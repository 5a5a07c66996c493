"""``manage.py realtime_stats [--json]``: the live server processes' figures.

Reads the same shared store as ``GET /api/ws/stats`` (Redis or the database),
so it works from any machine with the project's settings. ``--json`` prints
that endpoint's JSON.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from realtime import stats


def _pairs(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{name} {count}" for name, count in mapping.items()) or "none"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} ms"


def table(rows: list[list[str]]) -> list[str]:
    """Left-aligned columns, the first row a header underlined with dashes."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return [line.rstrip() for line in lines]


def render(data: dict[str, Any]) -> str:
    latency = data["latency"]
    store = data["store"]
    lines = [
        f"Realtime stats at {data['generatedAt']} "
        f"(store: {store.get('backend')}{'' if store.get('ok', True) else ', UNREADABLE'})",
        "",
        f"processes            {data['processCount']}",
        f"connections          {data['connections']['total']}"
        f"  (by role: {_pairs(data['connections']['byRole'])})",
        f"subscriptions        {_pairs(data['connections']['byNamespace'])}",
        f"connects             {data['connects']}",
        f"disconnects          {data['disconnects']['total']}"
        f"  (by code: {_pairs(data['disconnects']['byCode'])})",
        f"frames in            {data['framesIn']}  (rate-limited {data['rateLimited']})",
        f"auth failures        {data['authFailures']}",
        f"events published     {data['events']['total']}"
        f"  (failures {data['publishFailures']})",
        f"deliveries           {data['deliveries']}",
        f"errors               {_pairs(data['errors']['byCode'])}",
        f"refused              {_pairs(data['refused']['byReason'])}",
        f"slow readers dropped {data['slowReadersDropped']}",
        f"latency (last {latency['windowSeconds']} s) p50 {_ms(latency['p50'])}"
        f"  p95 {_ms(latency['p95'])}  p99 {_ms(latency['p99'])}"
        f"  ({latency['samples']} deliveries)",
        "",
    ]
    if data["processes"]:
        rows = [["host", "pid", "origin", "uptime", "conns", "connects", "deliveries",
                 "p95", "updated"]]
        for process in data["processes"]:
            rows.append([process["host"], str(process["pid"]), process["origin"],
                         f"{process['uptime']:.0f} s", str(process["connections"]["total"]),
                         str(process["connects"]), str(process["deliveries"]),
                         _ms(process["latency"]["p95"]), process["updatedAt"]])
        lines += table(rows)
    else:
        lines.append("No live server process (none has served a socket within "
                     f"{store.get('ttl')} s).")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Show the connection and event figures of every live realtime server process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true",
                            help="print the JSON of GET /api/ws/stats")

    def handle(self, *args: Any, **options: Any) -> None:
        # This process serves no sockets: only the servers' published snapshots count.
        data = stats.cluster(include_local=False)
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self.stdout.write(render(data))
