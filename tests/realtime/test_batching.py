"""realtime.batching: callers that wait while a call runs share the next one."""

from __future__ import annotations

import asyncio

import pytest

from realtime.batching import Batched
from tests.support.waiting import until


class Gated:
    """A batch call that records its items and waits for the test to let it finish."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []
        self.gate = asyncio.Event()

    async def __call__(self, items: list[int]) -> list[int | BaseException]:
        self.calls.append(items)
        await self.gate.wait()
        return [ValueError(item) if item < 0 else item * 10 for item in items]


async def test_callers_waiting_while_a_call_runs_go_together_in_the_next() -> None:
    run = Gated()
    batched = Batched(run)
    first = asyncio.ensure_future(batched(1))
    await until(lambda: run.calls)
    later = [asyncio.ensure_future(batched(n)) for n in range(2, 7)]
    await asyncio.sleep(0)
    assert run.calls == [[1]]  # the later ones did not join the call already running
    run.gate.set()
    assert await first == 10
    assert await asyncio.gather(*later) == [20, 30, 40, 50, 60]
    assert run.calls == [[1], [2, 3, 4, 5, 6]]


async def test_each_caller_gets_its_own_result_or_exception() -> None:
    run = Gated()
    run.gate.set()
    batched = Batched(run)
    results = await asyncio.gather(batched(3), batched(-1), batched(4),
                                   return_exceptions=True)
    assert results[0] == 30 and results[2] == 40
    assert isinstance(results[1], ValueError)


async def test_a_call_takes_at_most_most_items() -> None:
    run = Gated()
    run.gate.set()
    batched = Batched(run, most=2)
    assert await asyncio.gather(*(batched(n) for n in range(5))) == [0, 10, 20, 30, 40]
    assert all(len(call) <= 2 for call in run.calls)


async def test_a_failed_call_fails_its_callers_and_the_next_call_runs() -> None:
    outcomes = iter([RuntimeError("database down"), None])

    async def run(items: list[int]) -> list[int]:
        if (failure := next(outcomes)) is not None:
            raise failure
        return items

    batched = Batched(run)
    with pytest.raises(RuntimeError, match="database down"):
        await batched(1)
    assert await batched(2) == 2


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    run = Gated()
    batched = Batched(run)
    first = asyncio.ensure_future(batched(1))
    await until(lambda: run.calls)
    gone, kept = asyncio.ensure_future(batched(2)), asyncio.ensure_future(batched(3))
    await asyncio.sleep(0)
    gone.cancel()
    run.gate.set()
    assert await first == 10 and await kept == 30
    assert gone.cancelled()
