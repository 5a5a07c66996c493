"""The delivery-latency histogram: its buckets, percentiles, and how snapshots carry it.

Latency is event creation to socket send, in seconds, in ten buckets per decade from
0.1 ms to 100 s, so a percentile interpolated inside one is off by a few percent at
most. Prometheus gets the 1-2.5-5 subset. A snapshot lists only the buckets that
hold something (``sparse``); readers expand them again (``dense``) to add processes up.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable

_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
BOUNDS: tuple[float, ...] = (
    *(round(step * 10.0**exp, 6) for exp in range(-4, 2) for step in _STEPS), 100.0)
PROMETHEUS_BOUNDS: tuple[float, ...] = tuple(
    bound for bound in BOUNDS if f"{bound:.1e}"[:3] in {"1.0", "2.5", "5.0"})


class Histogram:
    """Counts per latency bucket (the last one is above ``BOUNDS[-1]``) and their sum."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(BOUNDS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(BOUNDS, seconds)] += 1
        self.sum += seconds


def sparse(counts: list[int]) -> list[list[int]]:
    """``[[bucket, count], …]`` of the buckets that hold something: a snapshot stays small."""
    return [[index, n] for index, n in enumerate(counts) if n]


def dense(pairs: Iterable[list[int]]) -> list[int]:
    """Counts per bucket from ``sparse`` pairs; an index out of range is ignored."""
    counts = [0] * (len(BOUNDS) + 1)
    for index, n in pairs:
        if 0 <= index < len(counts):
            counts[index] += n
    return counts


def percentile(counts: list[int], q: float) -> float | None:
    """The ``q`` quantile (0..1) in seconds, interpolated inside its bucket; None if empty."""
    total = sum(counts)
    if not total:
        return None
    rank = q * total
    seen = 0
    for index, n in enumerate(counts):
        if n and seen + n >= rank:
            lower = BOUNDS[index - 1] if index else 0.0
            upper = BOUNDS[index] if index < len(BOUNDS) else BOUNDS[-1]
            return lower + (upper - lower) * max(rank - seen, 0) / n
        seen += n
    return BOUNDS[-1]
