"""The docs' tables are checked against the code they describe."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from realtime.events import catalogue, roles
from tests.support.readme import quick_start_script

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_protocol_doc_role_matrix_matches_the_catalogue():
    text = (DOCS / "protocol.md").read_text()
    table = text.split("<!-- matrix:start -->")[1].split("<!-- matrix:end -->")[0]
    rows = [line.strip("|").split("|") for line in table.strip().splitlines()[2:]]
    documented = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rows}
    assert list(documented) == roles()
    header = [c.strip() for c in table.strip().splitlines()[0].strip("|").split("|")[1:]]
    assert header == [ns.name for ns in catalogue()]
    for role in roles():
        assert documented[role] == [ns.access(role).value for ns in catalogue()], role


def test_operations_doc_lists_every_realtime_setting_with_its_env_var():
    from django.conf import settings

    from realtime.conf import DEFAULTS

    text = (DOCS / "operations.md").read_text()
    table = text.split("<!-- settings:start -->")[1].split("<!-- settings:end -->")[0]
    rows = {cells[1].strip().strip("`"): cells[2].strip().strip("`")
            for cells in (line.split("|") for line in table.strip().splitlines()[2:])}
    assert set(rows) == set(DEFAULTS)
    env_of = {key: name for name, (key, _) in settings.REALTIME_ENV.items()}
    for key in DEFAULTS:
        assert rows[key] == env_of.get(key, "—"), key


def test_operations_doc_lists_every_system_check_id():
    source = (Path(__file__).resolve().parents[1] / "realtime" / "checks.py").read_text()
    text = (DOCS / "operations.md").read_text()
    table = text.split("<!-- checks:start -->")[1].split("<!-- checks:end -->")[0]
    documented = {line.split("|")[1].strip().strip("`")
                  for line in table.strip().splitlines()[2:]}
    assert documented == set(re.findall(r'id="(realtime\.[EWI]\d{3})"', source))


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_readme_quick_start_needs_only_the_runtime_requirements():
    """It runs in a venv of requirements.txt (tests/e2e/test_quick_start.py runs it)."""
    imported = set()
    for node in ast.walk(ast.parse(quick_start_script())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    third_party = imported - sys.stdlib_module_names
    assert "websockets" in third_party
    requirements = (DOCS.parent / "requirements.txt").read_text().splitlines()
    pinned = {canonical(re.split(r"[\[=<>~ ]", line, maxsplit=1)[0])
              for line in requirements if line.strip() and not line.startswith(("#", "-"))}
    distributions = packages_distributions()
    for module in third_party:
        assert {canonical(d) for d in distributions.get(module, [])} & pinned, module


def code_blocks(name: str, language: str) -> list[str]:
    """The fenced ``language`` blocks of docs/<name>, in order."""
    text = (DOCS / name).read_text()
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)


def test_client_doc_js_samples_are_valid_modules(tmp_path):
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    blocks = code_blocks("client.md", "js")
    assert len(blocks) >= 3
    for number, block in enumerate(blocks):
        path = tmp_path / f"sample{number}.mjs"
        path.write_text(block)
        result = subprocess.run([node, "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, f"sample {number}:\n{block}\n{result.stderr}"


def test_client_doc_python_sample_compiles():
    [block] = code_blocks("client.md", "python")
    compile(block, "docs/client.md", "exec")
    assert 'SERVER = "127.0.0.1:8000"' in block  # tests/e2e/test_examples.py points it elsewhere


def test_readme_links_the_client_doc_and_the_examples():
    readme = (DOCS.parent / "README.md").read_text()
    assert "(docs/client.md)" in readme
    assert "examples/" in readme
    assert (DOCS.parent / "examples" / "README.md").exists()
