"""scripts/serve refuses a busy port before it prints a URL (scripts/port_free.py).

The script runs against the checkout's own .venv: the port check comes before the install
and the demo data, so a clash costs no pip run, no migration and no server.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_port_free() -> ModuleType:
    spec = importlib.util.spec_from_file_location("port_free", ROOT / "scripts" / "port_free.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


port_free = load_port_free()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real listening socket on 127.0.0.1, as another server would hold the port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock


def serve(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "serve")], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_serve_on_a_busy_port_says_so_and_prints_no_url(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    result = serve(HOST="127.0.0.1", PORT=str(port), SIMULATE_RATE="0")
    assert result.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use; set PORT=" in result.stderr
    assert "running at http" not in result.stdout
    assert "http://" not in result.stdout + result.stderr
    # It stopped before the demo data: seed_demo prints the logins.
    assert "Logins" not in result.stdout


def test_serve_suggests_a_port_that_is_free(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    result = serve(HOST="127.0.0.1", PORT=str(port))
    suggested = int(result.stderr.split("set PORT=")[1].split()[0])
    assert suggested > port
    assert port_free.can_listen("127.0.0.1", suggested)


@pytest.mark.parametrize("value", ["http", "0", "70000"])
def test_serve_rejects_a_port_that_is_no_port(value: str) -> None:
    result = serve(PORT=value)
    assert result.returncode == 2
    assert f"PORT must be a number from 1 to 65535, not '{value}'" in result.stderr


def test_a_listener_makes_the_port_busy_and_its_end_frees_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.listen()
        assert not port_free.can_listen("127.0.0.1", port)
    assert port_free.can_listen("127.0.0.1", port)


def test_a_port_in_time_wait_is_free_as_daphne_sees_it() -> None:
    """Twisted binds with SO_REUSEADDR: the connections a stopped Daphne closed last do
    not keep the next one from starting, so they must not fail the check either."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Daphne's was
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server's side closes first: it is the one left in TIME_WAIT
    client.recv(1)
    client.close()
    listener.close()
    assert port_free.can_listen("127.0.0.1", port)
