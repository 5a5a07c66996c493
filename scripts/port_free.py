"""``python scripts/port_free.py HOST PORT``: exit 0 if Daphne could listen there now.

scripts/serve asks before it starts anything: when another process already listens on
the port, Daphne only logs its listen failure and exits, while the other process answers
the readiness probe, so the script would print URLs that lead somewhere else. The test
binds the way Daphne's Twisted port does (IPv6 when the host has a colon, SO_REUSEADDR on
POSIX): a port left in TIME_WAIT is free, one with a listener is not.
"""

from __future__ import annotations

import errno
import socket
import sys

SUGGESTIONS = 20  # ports after the busy one tried for a free one to suggest


def bind_error(host: str, port: int) -> OSError | None:
    """Why a listening socket could not be bound to ``host:port`` now; None if it could."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            if sys.platform != "win32":
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host.strip("[]"), port))
    except OSError as error:
        return error
    return None


def can_listen(host: str, port: int) -> bool:
    return bind_error(host, port) is None


def free_after(host: str, port: int) -> int | None:
    """The first port after ``port`` that is free on ``host``, to suggest one."""
    for candidate in range(port + 1, min(port + 1 + SUGGESTIONS, 65536)):
        if can_listen(host, candidate):
            return candidate
    return None


def main(argv: list[str]) -> int:
    host, raw_port = argv
    try:
        port = int(raw_port)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        print(f"PORT must be a number from 1 to 65535, not {raw_port!r}", file=sys.stderr)
        return 2
    error = bind_error(host, port)
    if error is None:
        return 0
    if error.errno != errno.EADDRINUSE:
        print(f"cannot listen on {host} port {port}: {error.strerror or error}; "
              f"set HOST and PORT to an address of this machine", file=sys.stderr)
        return 1
    other = free_after(host, port)
    hint = f"set PORT={other} (free now)" if other else "set PORT=<a free port>"
    print(f"port {port} on {host} is already in use; {hint}, or stop the process that "
          f"listens there", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
