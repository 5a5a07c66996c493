"""``python -m bench.traced [realtime.server options]``: the server under ``tracemalloc``.

Each SIGUSR1 writes a snapshot to ``$TRACE_SNAPSHOT.<n>`` (n = 1, 2, ...) and then
``$TRACE_SNAPSHOT.<n>.done``, so bench/memory.py can compare the heap before and
after it opens its sockets. ``TRACE_FRAMES`` (default 10) frames are kept per
allocation: enough to find the project's or library's line behind a builtin's.
"""

from __future__ import annotations

import itertools
import os
import runpy
import signal
import sys
import tracemalloc
from pathlib import Path

tracemalloc.start(int(os.environ.get("TRACE_FRAMES", "10")))
_count = itertools.count(1)


def _dump(signum: int, frame: object) -> None:
    path = Path(f"{os.environ['TRACE_SNAPSHOT']}.{next(_count)}")
    tracemalloc.take_snapshot().dump(str(path))
    Path(f"{path}.done").touch()


signal.signal(signal.SIGUSR1, _dump)
sys.argv = ["realtime.server", *sys.argv[1:]]
runpy.run_module("realtime.server", run_name="__main__", alter_sys=True)
