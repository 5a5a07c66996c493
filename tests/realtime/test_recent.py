"""realtime.recent: the newest events, complete after a known position, for resumes."""

from __future__ import annotations

from typing import Any

import pytest

from realtime.messages import CONTROL, EVENT, Message
from realtime.recent import Recent


def event(position: int, ns: str = "orders", groups: tuple[str, ...] = ("rt.orders",),
          targeted: bool = False) -> Message:
    return Message(EVENT, position, groups, ns=ns, targeted=targeted, text=f"e{position}")


def ids(messages: list[Message] | None) -> list[int] | None:
    return None if messages is None else [message.id for message in messages]


@pytest.fixture
def memory(realtime_settings: Any) -> Recent:
    realtime_settings(REPLAY_MEMORY=4)
    return Recent()


def test_nothing_is_answered_before_the_start(memory: Recent) -> None:
    memory.record(event(1))
    assert memory.after(0, "orders", "rt.orders") is None


def test_after_the_start_every_event_of_the_group_is_answered(memory: Recent) -> None:
    memory.start(10)
    memory.record(event(11))
    memory.record(event(12, "products", ("rt.products",)))
    memory.record(event(13, groups=("rt.orders", "rt.orders.owner.7")))
    memory.record(event(14, groups=("rt.orders", "rt.orders.owner.8")))
    assert ids(memory.after(10, "orders", "rt.orders")) == [11, 13, 14]
    assert ids(memory.after(11, "orders", "rt.orders.owner.7")) == [13]
    assert ids(memory.after(13, "orders", "rt.orders.owner.7")) == []
    assert ids(memory.after(14, "orders", "rt.orders")) == []
    # Before the start the log may have more: not answered.
    assert memory.after(9, "orders", "rt.orders") is None


def test_the_oldest_are_forgotten_and_no_longer_answer(memory: Recent) -> None:
    memory.start(0)
    for position in range(1, 12):
        memory.record(event(position))
    assert len(memory.messages) <= 8  # at most twice REPLAY_MEMORY between trims
    assert memory.complete_after is not None and memory.complete_after >= 3
    assert memory.after(memory.complete_after - 1, "orders", "rt.orders") is None
    assert ids(memory.after(memory.complete_after, "orders", "rt.orders")) == list(
        range(memory.complete_after + 1, 12))


def test_events_for_a_user_a_role_or_everyone_and_control_messages_are_not_kept(
        memory: Recent) -> None:
    """The log's replay never returns them, so memory must not either."""
    memory.start(0)
    memory.record(event(1, targeted=True, groups=("rt.user.3",)))
    memory.record(Message(CONTROL, 2, ("rt.user.3",), action="session_ended"))
    memory.record(event(3))
    assert ids(memory.messages) == [3]
    assert ids(memory.after(0, "orders", "rt.orders")) == [3]


def test_a_start_with_the_logs_newest_events(memory: Recent) -> None:
    memory.start(17, [event(18), event(19, targeted=True), event(20)])
    assert ids(memory.after(17, "orders", "rt.orders")) == [18, 20]
    assert memory.after(16, "orders", "rt.orders") is None


def test_none_kept_answers_nothing_even_when_turned_on_later(
        realtime_settings: Any) -> None:
    realtime_settings(REPLAY_MEMORY=0)
    memory = Recent()
    memory.start(5)
    memory.record(event(6))
    assert memory.after(5, "orders", "rt.orders") is None
    realtime_settings(REPLAY_MEMORY=4)
    # What was handed while none was kept is not claimed: complete after 6 only.
    assert ids(memory.after(6, "orders", "rt.orders")) == []
    assert memory.after(5, "orders", "rt.orders") is None
