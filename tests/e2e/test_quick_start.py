"""README.md's protocol quick start, run as written against a real server.

The script is the README's own block, with only the port changed, run by the project's
Python from a folder outside the checkout: it needs nothing but the runtime requirements.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.readme import quick_start_script
from tests.support.servers import PYTHON, DaphneServer, Project, stop_process

pytestmark = pytest.mark.e2e

README_PASSWORD = "omni-demo-2024"  # the demo default the quick start's Basic auth uses


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaphneServer]:
    project = Project.create(tmp_path_factory.mktemp("quick-start"),
                             extra_env={"DEMO_PASSWORD": README_PASSWORD})
    server = DaphneServer.start(project)
    yield server
    server.stop()


def lines_of(process: subprocess.Popen) -> queue.Queue[str]:
    """The process's stdout, line by line, read on a thread: ``get(timeout=...)``."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def test_the_quick_start_runs_as_written(server: DaphneServer, tmp_path: Path) -> None:
    script = quick_start_script()
    assert script.count("127.0.0.1:8000") == 2
    path = tmp_path / "quick_start.py"
    path.write_text(script.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHONPATH"))}
    process = subprocess.Popen([PYTHON, str(path)], cwd=tmp_path, text=True,
                               env={**env, "PYTHONUNBUFFERED": "1"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        lines = lines_of(process)

        def frame() -> dict:
            line = lines.get(timeout=20)
            try:
                return json.loads(line)
            except ValueError:
                pytest.fail(f"the quick start printed {line!r}")

        connected, authenticated, subscribed = frame(), frame(), frame()
        assert (connected["type"], connected["data"]["role"]) == ("connected", "guest")
        assert (authenticated["type"], authenticated["data"]["role"]) == (
            "authenticated", "staff")
        assert (subscribed["type"], subscribed["data"]["namespace"]) == (
            "subscribed", "orders")
        # "any save": the next frames are its events.
        server.project.shell(
            "from orders.models import Order\n"
            "order = Order.objects.exclude(status='shipped').first()\n"
            "order.status = 'shipped'\n"
            "order.save()\n")
        types: list[str] = []
        while len(types) < 2:
            event = frame()
            batch = event["data"] if event["type"] == "batch" else [event]
            types += [each["type"] for each in batch]
        assert set(types) == {"order:updated", "order:status_changed"}
    finally:
        stop_process(process)
