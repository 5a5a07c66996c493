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


def test_a_forked_child_starts_a_loop_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child after a fork has the parent's loop object but not its thread."""
    parent_loop, _ = background_loop.run(where(), timeout=5)
    monkeypatch.setattr(background_loop.os, "getpid", lambda: -1)
    child_loop, _ = background_loop.run(where(), timeout=5)
    assert child_loop is not parent_loop and child_loop.is_running()


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
