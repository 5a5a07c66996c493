"""Deliveries/s against N for each target of a bench report, as a PNG.

    .venv/bin/python -m bench.chart bench/results/<date>.json [out.png]

matplotlib comes from bench/requirements.txt, installed into the venv on demand.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .report import LABELS, order
from .targets import BENCH, PYTHON


def ensure_bench_requirements() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "-r", str(BENCH / "requirements.txt")], check=True, timeout=900)


def chart(report: dict[str, Any], out: Path) -> Path:
    ensure_bench_requirements()
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[int, float]]] = {}
    lossy: list[tuple[int, float, str]] = []
    for r in report["results"]:
        if r["scenario"] == "burst" and "error" not in r:
            series.setdefault(r["target"], []).append((r["sockets"], r["deliveries_per_s"]))
            if r["delivered"] < r["expected"]:
                lossy.append((r["sockets"], r["deliveries_per_s"],
                              f"{100 * r['delivered'] / r['expected']:.0f}% delivered"))
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for target in sorted(series, key=order):
        points = sorted(series[target])
        style: dict[str, Any] = {"linestyle": "-", "marker": "o"}
        if target in ("websockets", "socketio"):
            style["linestyle"] = "--"
        elif target == "channels":  # stock Channels: the line the project is seen against
            style.update(linestyle=":", marker="s", color="grey")
        ax.plot([p[0] for p in points], [p[1] for p in points], label=LABELS.get(target, target),
                **style)
    for x, y, text in lossy:
        ax.annotate(text, (x, y), textcoords="offset points", xytext=(-10, 8), fontsize=7,
                    ha="right")
    ax.set_yscale("log")
    ax.set_xlabel("sockets subscribed to one group (N)")
    ax.set_ylabel("deliveries per second (log scale)")
    machine = report["machine"]
    ax.set_title(f"Burst fan-out, {report['date'][:10]}, {machine['nproc']} cores "
                 f"({machine['cpu']})", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0])
    out = Path(args[1]) if len(args) > 1 else path.with_suffix(".png")
    print(chart(json.loads(path.read_text()), out))


if __name__ == "__main__":
    main()
