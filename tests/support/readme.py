"""README.md's code blocks, for the tests that run or inspect them."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def quick_start_script() -> str:
    """The first Python block of README.md's "Protocol quick start" section."""
    section = README.read_text().split("## Protocol quick start", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]
