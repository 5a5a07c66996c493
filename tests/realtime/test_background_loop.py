"""realtime/background_loop.py: one loop per process, kept, for synchronous callers."""

from __future__ import annotations

import asyncio
import threading

import pytest

from realtime import background_loop


async def where() -> tuple[asyncio.AbstractEventLoop, str]:
    return asyncio.get_running_loop(), threading.current_thread().name


def test_every_call_runs_on_the_same_loop_in_its_own_thread() -> None:
    first = background_loop.run(where(), timeout=5)
    second = background_loop.run(where(), timeout=5)
    assert first == second
    assert first[1] == "realtime-background-loop" != threading.current_thread().name


def test_a_forked_child_starts_a_loop_of_its_own() -> None:
    """A child after a fork has the parent's loop object but not its thread, and the
    parent's lock may have been held by another thread: its first call still runs."""
    import json
    import os

    parent_loop, _ = background_loop.run(where(), timeout=5)
    reading, writing = os.pipe()
    with background_loop._lock:  # held, as by another thread, when the fork happens
        pid = os.fork()
    if pid == 0:  # the child: report and leave at once, whatever happens
        try:
            child_loop, name = background_loop.run(where(), timeout=5)
            answer = {"new": child_loop is not parent_loop, "thread": name}
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            answer = {"error": repr(exc)}
        os.write(writing, json.dumps(answer).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        answer = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)
    assert answer == {"new": True, "thread": "realtime-background-loop"}
    assert background_loop.run(where(), timeout=5)[0] is parent_loop


def test_a_loop_whose_thread_ended_is_started_again() -> None:
    first, _ = background_loop.run(where(), timeout=5)
    first.call_soon_threadsafe(first.stop)
    background_loop._thread.join(5)
    second, _ = background_loop.run(where(), timeout=5)
    assert second is not first and second.is_running()


def test_the_loops_own_thread_is_refused_at_once() -> None:
    async def from_inside() -> str:
        inner = where()
        try:
            background_loop.run(inner, timeout=5)
        except RuntimeError as exc:
            return str(exc)
        return "ran"

    assert "from the background loop" in background_loop.run(from_inside(), timeout=5)


def test_a_call_that_takes_too_long_is_cancelled() -> None:
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(TimeoutError):
        background_loop.run(forever(), timeout=0.05)
    assert cancelled.wait(5)
