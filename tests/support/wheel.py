"""The realtime app as a host gets it: a wheel built from the checkout, in a fresh venv.

Shared by tests/test_packaging.py (a bare ``startproject`` host) and tests/test_host.py
(the helpdesk project under tests/host/). Hosts run from a temp dir with an environment
that has nothing of the checkout, so every module, template and static file they find
comes from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Not part of a checkout's sources: the wheel is built from a copy without them, so a
# build never writes build/ or an egg-info into the working tree.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "node_modules", "var", "__pycache__",
                                     "*.pyc", "build", "dist", "*.egg-info", "staticfiles",
                                     "db.sqlite3", ".ruff_cache", ".hypothesis")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what ties it to the checkout: pytest-django's
    DJANGO_SETTINGS_MODULE (omni_sales.settings), PYTHONPATH, the active venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    return {**env, **extra}


def run(*args: str | Path, cwd: Path, timeout: float = 180) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=clean_env(), text=True,
                            capture_output=True, timeout=timeout, check=False)
    assert result.returncode == 0, (f"{' '.join(map(str, args))} failed:\n"
                                    f"{result.stdout}\n{result.stderr}")
    return result.stdout


def build_wheel(workdir: Path) -> Path:
    source = workdir / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
        "-q", "-w", workdir / "dist", ".", cwd=source)
    [built] = (workdir / "dist").glob("omni_realtime-*.whl")
    return built


def make_venv(workdir: Path, wheel: Path) -> Path:
    """A venv of its own (no system site-packages): the wheel, and its dependencies at
    the demo's pins from the package index, which also proves the wheel's ranges admit
    the pins (about 11 s with pip's cache warm)."""
    path = workdir / "venv"
    run(sys.executable, "-m", "venv", path, cwd=workdir)
    run(path / "bin" / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q",
        wheel, "-r", ROOT / "requirements.txt", cwd=workdir, timeout=300)
    return path
