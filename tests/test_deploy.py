"""The deployment examples in deploy/ are valid for the tools that read them."""

import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_config_passes_nginx_t(tmp_path):
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n access_log off;\n client_body_temp_path {tmp_path};\n"
        f" include {DEPLOY / 'nginx.conf'};\n}}\n")
    result = subprocess.run(["nginx", "-t", "-c", str(main), "-p", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_systemd_unit_starts_the_realtime_server():
    unit = (DEPLOY / "omni-daphne@.service").read_text()
    assert "-m realtime.server" in unit and "--proxy-headers" in unit
    # realtime.server exits with status 2 without settings (no default module).
    assert "--settings omni_sales.settings" in unit
