"""realtime/static/realtime/js/constants.js mirrors realtime/protocol.py.

The codes and the reconnect rule are compared by running the module in Node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from realtime import protocol

from . import spec

STATIC = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime"
CONSTANTS_JS = STATIC / "js" / "constants.js"
CODES = [*range(1000, 1016), *range(4000, 5000)]

# Imports the module in Node and prints what the Python side compares.
SCRIPT = """
const c = await import(process.argv[1]);
const codes = JSON.parse(process.argv[2]);
const reconnect = Object.fromEntries(codes.map((code) => [code, c.shouldReconnect(code)]));
const longBackoff = codes.filter((code) => c.needsLongBackoff(code));
console.log(JSON.stringify({
  longBackoff,
  protocolVersion: c.PROTOCOL_VERSION,
  errorCodes: c.ERROR_CODES,
  authFailures: c.AUTH_FAILURES,
  closeCodes: c.CLOSE_CODES,
  reconnect,
}));
"""


@pytest.fixture(scope="module")
def js() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot check realtime/static/realtime/js/constants.js")
    result = subprocess.run(
        [node, "--input-type=module", "-e", SCRIPT, CONSTANTS_JS.as_uri(), json.dumps(CODES)],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_protocol_version(js: dict[str, Any]) -> None:
    assert js["protocolVersion"] == protocol.PROTOCOL_VERSION


def test_auth_failure_reasons(js: dict[str, Any]) -> None:
    names = {k: v for k, v in vars(protocol.AuthFailure).items() if k.isupper()}
    assert js["authFailures"] == names
    assert tuple(js["authFailures"].values()) == protocol.AUTH_FAILURES


def test_error_codes(js: dict[str, Any]) -> None:
    names = {k: v for k, v in vars(protocol.ErrorCode).items() if k.isupper()}
    assert js["errorCodes"] == names
    assert tuple(js["errorCodes"].values()) == protocol.ERROR_CODES


def test_close_codes(js: dict[str, Any]) -> None:
    assert js["closeCodes"] == protocol.CLOSE_CODES


def test_should_reconnect_agrees(js: dict[str, Any]) -> None:
    """Every code in 1000–1015 and 4000–4999 gets the same answer on both sides."""
    disagree = {code: js["reconnect"][str(code)] for code in CODES
                if js["reconnect"][str(code)] is not protocol.should_reconnect(code)}
    assert disagree == {}, f"JS shouldReconnect differs from Python for {disagree}"


def test_long_backoff_codes(js: dict[str, Any]) -> None:
    assert set(js["longBackoff"]) == protocol.LONG_BACKOFF == spec.LONG_BACKOFF
