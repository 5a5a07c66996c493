"""realtime knows no demo: no module of the app names a demo namespace, type or role.

The demo's catalogue is declared by orders/ and inventory/ (their realtime.py), its
roles are its settings, and its widget tags are theirs (orders_live, inventory_live).
This reads the package's Python source for the demo's names as string literals, and
the app's templates for the demo's tags, and its ES modules and TypeScript declarations
for the demo's namespaces and types (the demo's widget modules are orders' and
inventory's static files, and so are its event types: their ``events.d.ts`` augment
@omni-sales/realtime's maps).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from . import spec

PACKAGE = Path(__file__).resolve().parents[2] / "realtime"
DEMO_WORDS = {*spec.NAMESPACE_ORDER, *spec.ROLES} - {"system", "admin"}
DEMO_TYPES = {t for types in spec.EVENT_TYPES.values() for t in types
              if not t.startswith("system:")}
SOURCES = sorted(path for path in PACKAGE.rglob("*.py")
                 if "migrations" not in path.parts)
DEMO_TAGS = ("order_status_badge", "live_sales_ticker", "live_sales_chart", "live_customer_count",
             "inventory_alerts", "payment_label")


def literals(path: Path) -> list[tuple[int, str]]:
    """String literals outside docstrings, with their line."""
    tree = ast.parse(path.read_text())
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_demo_namespace_type_or_role_in_the_app(path: Path) -> None:
    found = [(line, text) for line, text in literals(path)
             if text in DEMO_WORDS or text in DEMO_TYPES
             or any(text.startswith(f"{t.split(':')[0]}:") for t in DEMO_TYPES)]
    assert found == [], f"{path.relative_to(PACKAGE)} names the demo: {found}"


def test_the_check_sees_a_demo_word_where_there_is_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text('"""orders"""\nROLE = "customer"\nTYPE = f"order:{1}"\n')
    assert [text for _, text in literals(sample)] == ["customer", "order:"]


def test_the_apps_templates_use_no_demo_tag() -> None:
    for path in (PACKAGE / "templates").rglob("*.html"):
        text = path.read_text()
        assert not [tag for tag in DEMO_TAGS if tag in text], path


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """The package's modules a module imports when it is loaded (not inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package
        for _ in range(node.level - 1):
            base = base.rpartition(".")[0]
        if node.module:
            found.add(f"{base}.{node.module}")
        else:
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def test_the_apps_modules_import_each_other_without_a_cycle() -> None:
    """Every module of the package, subpackages (stats/) included."""
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")
               if "migrations" not in path.parts}
    graph = {name: {dep for dep in _imports(path, name) if dep in modules}
             for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, f"import cycle: {' -> '.join((*trail, name))}"
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, (*trail, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())
    assert "realtime.stats.counting" in graph["realtime.stats"]  # the check reads subpackages


QUOTED = re.compile(r"[\"'`]([a-z_]+)(:[a-z_]*)?[\"'`]?")
COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# In a declaration: a property key (`orders: ...`, `"order:created"?: ...`) or a type
# named after the demo's data (`OrderPayload`, `InventoryPayload`).
KEY = re.compile(r"^\s*([a-z_]+)\??:", re.M)
DEMO_NOUNS = sorted({t.split(":")[0].capitalize() for t in DEMO_TYPES})
TYPE_NAME = re.compile(rf"\b(?:{'|'.join(DEMO_NOUNS)})[A-Z]\w*")


def demo_names(code: str, declarations: bool = False) -> list[str]:
    """The demo's namespaces and event types a module names, outside comments."""
    code = COMMENTS.sub("", code)
    prefixes = {f"{t.split(':')[0]}:" for t in DEMO_TYPES}
    found = [match.group(0) for match in QUOTED.finditer(code)
             if (match[1] in DEMO_WORDS and not match[2])
             or (match[2] and f"{match[1]}{match[2]}" in DEMO_TYPES | prefixes)]
    if declarations:
        found += [m[1] for m in KEY.finditer(code) if m[1] in DEMO_WORDS]
        found += TYPE_NAME.findall(code)
    return found


def test_the_check_sees_the_demo_in_a_declaration() -> None:
    code = ('/** orders */\nexport interface OrderPayload { id: number }\n'
            'export interface NamespaceEvents {\n  orders: "order:created";\n}\n'
            'export interface SystemPayload { title: string }\n')
    assert demo_names(code, declarations=True) == ['"order:created"', "orders", "OrderPayload"]
    assert demo_names('on("inventory:*", fn); const ns = "products";') == [
        '"inventory:', '"products"']


def test_the_apps_es_modules_name_no_demo_namespace_or_type() -> None:
    """The demo's widget modules are the orders and inventory apps' static files."""
    found = [(path.name, name) for path in (PACKAGE / "static").rglob("*.js")
             for name in demo_names(path.read_text())]
    assert found == []


def test_the_apps_declarations_name_no_demo_namespace_type_or_payload() -> None:
    """The demo's event types are declared by orders and inventory (their events.d.ts)."""
    paths = sorted((PACKAGE / "static").rglob("*.d.ts"))
    assert any(path.name == "events.d.ts" for path in paths)
    found = [(path.name, name) for path in paths
             for name in demo_names(path.read_text(), declarations=True)]
    assert found == []
