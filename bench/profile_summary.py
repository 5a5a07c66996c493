"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) as top-N tables.

    .venv/bin/python -m bench.profile_summary bench/results/profile-redis-1-5000-<pid>.txt

``python -m bench.run --profile`` records one such file per server process and burst.
Prints the functions with the most samples on top of the stack (self) and anywhere in
it (inclusive), as shares of all samples, with idle samples (the event loop waiting in
``epoll``/``select``) counted apart.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(select|poll|epoll_wait|_run_once|wait) \((selectors|threading)\.py")
FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^)]*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/", "omni-head/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{match['func']} ({path})"


def summarise(path: Path, top: int = 25) -> str:
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    total = idle = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f]
        # py-spy puts the thread name first: "process 123:\"python ...\"", "thread (0x..)"
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        total += count
        if frames and IDLE.search(frames[-1]):
            idle += count
            continue
        if frames:
            self_counts[short(frames[-1])] += count
        for name in {short(f) for f in frames}:
            incl_counts[name] += count
    busy = total - idle
    out = [f"{path.name}: {total} samples, {idle} idle ({100 * idle / max(total, 1):.0f}%), "
           f"{busy} busy", "", f"top {top} by self samples (% of busy):"]
    out += [f"  {100 * n / max(busy, 1):5.1f}%  {name}" for name, n in self_counts.most_common(top)]
    out += ["", f"top {top} by inclusive samples (% of busy):"]
    out += [f"  {100 * n / max(busy, 1):5.1f}%  {name}" for name, n in incl_counts.most_common(top)]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    for arg in sys.argv[1:] if argv is None else argv:
        print(summarise(Path(arg)))
        print()


if __name__ == "__main__":
    main()
