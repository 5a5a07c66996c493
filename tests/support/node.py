"""The project's npm tooling (package.json at the root) for tests that need it built.

``npm ci`` from package-lock.json when node_modules is missing or older than the lock
file, as scripts/test does; then esbuild bundles the React example.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.support.servers import ROOT

NODE_MODULES = ROOT / "node_modules"
REACT_BUNDLE = ROOT / "examples" / "react" / "dist" / "app.js"


def ensure_node_modules() -> Path:
    stamp = NODE_MODULES / ".package-lock.json"
    if not stamp.exists() or (ROOT / "package-lock.json").stat().st_mtime > stamp.stat().st_mtime:
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed (Debian: apt-get install npm)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=ROOT, check=True,
                       timeout=600)
    return NODE_MODULES


def build_react_example() -> Path:
    """``npm run build:examples``: examples/react/main.js → examples/react/dist/app.js."""
    ensure_node_modules()
    npm = shutil.which("npm")
    result = subprocess.run([npm, "run", "--silent", "build:examples"], cwd=ROOT, timeout=300,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"npm run build:examples failed:\n{result.stdout}\n{result.stderr}")
    return REACT_BUNDLE
