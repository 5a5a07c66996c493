"""The client's TypeScript declarations match the server.

The event types are declared where the catalogue is: by the app that registers each
namespace. realtime declares its own (``system``) in realtime/static/realtime/js/events.d.ts,
with the maps ``EventPayloads`` (type → payload) and ``NamespaceEvents`` (namespace →
types); every other app declares its payloads in its ``static/<app>/events.d.ts`` and
adds its namespaces to those maps by module augmentation (``declare module
"@omni-sales/realtime" { interface EventPayloads {...} }``). These tests find each
namespace's app from the module that registers it (the app's ``realtime.py``; realtime's
``events.py``), read that app's file simply (its interfaces and their fields) and compare
them with ``realtime.events.catalogue()`` and with payloads the server really builds:
saves of real models (through the signals, as in production), the presence and activity
builders, and the ``notify`` command. A field declared but never sent, or sent but not
declared, fails; so does a namespace declared by an app that does not register it.
constants.d.ts is compared with realtime.protocol.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command

from realtime import protocol
from realtime.events import catalogue
from realtime.roles import Profile

JS = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime" / "js"
# An interface, exported or inside `declare module`, closed at its own indentation.
INTERFACE = re.compile(r"^([ \t]*)(?:export )?interface (\w+)(?: extends (\w+))? "
                       r"\{(?:\}|\n(.*?)^\1\})", re.M | re.S)
FIELD = re.compile(r'^\s*"?([\w:]+)"?(\??):\s*([^;]+);', re.M)
AUGMENTATION = 'declare module "@omni-sales/realtime" {'
MAPS = ("EventPayloads", "NamespaceEvents", "ActivityActions")


def parse(text: str) -> dict[str, tuple[str | None, dict[str, str]]]:
    """Interface name → (what it extends, its own fields → declared type)."""
    return {name: (parent or None, {m[1]: m[3].strip() for m in FIELD.finditer(body)})
            for _, name, parent, body in INTERFACE.findall(text)}


def resolve(found: dict[str, tuple[str | None, dict[str, str]]]) -> dict[str, dict[str, str]]:
    """Interface name → field → declared type, with the fields of what it extends."""
    def fields(name: str) -> dict[str, str]:
        parent, own = found[name]
        return {**(fields(parent) if parent else {}), **own}

    return {name: fields(name) for name in found}


def interfaces(text: str) -> dict[str, dict[str, str]]:
    return resolve(parse(text))


def registered_by(path: Path) -> set[str]:
    """The namespaces a module registers: its ``register("name", ...)`` calls."""
    return {node.args[0].value for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == "register" and node.args
            and isinstance(node.args[0], ast.Constant)}


def declaration_files() -> dict[Path, set[str]]:
    """Each app's events.d.ts → the namespaces the app registers (realtime's: its own)."""
    files = {JS / "events.d.ts": registered_by(JS.parents[2] / "events.py")}
    for config in apps.get_app_configs():
        module = Path(config.path) / "realtime.py"
        if config.name != "realtime" and module.exists() and registered_by(module):
            path = Path(config.path) / "static" / config.label / "events.d.ts"
            files[path] = registered_by(module)
    return files


FILES = declaration_files()
PARSED = {path: parse(path.read_text()) if path.exists() else {} for path in FILES}


def merged() -> dict[str, dict[str, str]]:
    """Every file's interfaces as the compiler merges them (the maps across files)."""
    found: dict[str, tuple[str | None, dict[str, str]]] = {}
    for path, declared in PARSED.items():
        for name, (parent, own) in declared.items():
            if name in MAPS and name in found:
                found[name] = (None, {**found[name][1], **own})
            else:
                assert name not in found, f"{name} is declared twice ({path})"
                found[name] = (parent, own)
    return resolve(found)


DECLARED = merged()


def declared_fields(event_type: str) -> set[str]:
    return set(DECLARED[DECLARED["EventPayloads"][event_type]])


def test_the_parser_reads_fields_and_inheritance() -> None:
    parsed = interfaces("export interface A {\n  a: number;\n  \"b:c\"?: string;\n}\n"
                        "export interface B extends A {\n  d: \"x\" | \"y\";\n}\n")
    assert parsed == {"A": {"a": "number", "b:c": "string"},
                      "B": {"a": "number", "b:c": "string", "d": '"x" | "y"'}}


def test_the_parser_reads_augmentations_and_empty_interfaces() -> None:
    parsed = interfaces('export interface E {}\nexport interface P {\n  a: number;\n}\n'
                        'declare module "x" {\n  interface E {\n    "t:a": P;\n  }\n}\n')
    assert parsed == {"E": {"t:a": "P"}, "P": {"a": "number"}}


def test_every_registering_app_has_its_file_and_every_namespace_an_app() -> None:
    assert len(FILES) > 1, "the demo's apps register namespaces too"
    owners = [ns for namespaces in FILES.values() for ns in namespaces]
    assert sorted(owners) == sorted(ns.name for ns in catalogue())
    for path in FILES:
        assert path.exists(), f"{path} is missing: its app registers {FILES[path]}"


def test_each_app_declares_its_own_namespaces_and_no_other() -> None:
    by_name = {ns.name: ns for ns in catalogue()}
    for path, namespaces in FILES.items():
        declared = resolve(PARSED[path])
        assert set(declared["NamespaceEvents"]) == namespaces, path
        assert set(declared["EventPayloads"]) == {t for n in namespaces
                                                   for t in by_name[n].types}, path
        text = path.read_text()
        if path != JS / "events.d.ts":
            assert AUGMENTATION in text, f"{path} augments @omni-sales/realtime's maps"
            assert not re.search(r"^export interface (EventPayloads|NamespaceEvents)\b",
                                 text, re.M), f"{path} declares a map of its own"


def test_each_app_declares_its_own_client_actions_and_their_data_reaches_the_payload() -> None:
    by_name = {ns.name: ns for ns in catalogue()}
    for path, namespaces in FILES.items():
        declared = resolve(PARSED[path]).get("ActivityActions", {})
        assert set(declared) == {a for n in namespaces for a in by_name[n].client_actions}, path
    for action, data in DECLARED["ActivityActions"].items():
        event_type = f"{next(ns for ns in catalogue() if action in ns.client_actions).prefix}:{action}"
        assert set(DECLARED[data]) <= declared_fields(event_type), action


def test_every_namespace_and_event_type_is_declared() -> None:
    namespaces = {name: set(re.findall(r'"([\w:]+)"', union))
                  for name, union in DECLARED["NamespaceEvents"].items()}
    assert namespaces == {ns.name: set(ns.types) for ns in catalogue()}
    assert set(DECLARED["EventPayloads"]) == {t for ns in catalogue() for t in ns.types}
    for name in DECLARED["EventPayloads"].values():
        assert name in DECLARED, f"{name} is used but not declared"


@pytest.fixture
def built(alice: Any, event_log: Any) -> dict[str, set[str]]:
    """Event type → the payload keys the server sent for it, from real saves."""
    from inventory.models import Inventory, Product
    from orders.models import Order, Payment
    from orders.realtime import customer_activity, customer_presence

    order = Order.objects.create(customer=alice.customer, total=Decimal("149.90"))
    order.status = Order.Status.CONFIRMED
    order.save()
    for status in ("completed", "failed", "refunded"):
        Payment.objects.create(order=order, amount=order.total, status=status,
                               reason="card declined" if status == "failed" else "")
    Order.objects.create(customer=alice.customer, total=Decimal("1.00")).delete()
    product = Product.objects.create(sku="TS-1", name="Typed", price=Decimal("9.99"))
    product.price = Decimal("8.99")
    product.save()
    stock = Inventory.objects.create(product=product, quantity=20, low_stock_threshold=10)
    for quantity in (15, 5, 0, 30):  # updated, low_stock, out_of_stock, restocked
        stock.quantity = quantity
        stock.save()
    product.delete()
    for kind in ("notification", "alert"):
        call_command("notify", "Typed", "--kind", kind)
    call_command("notify", "Up", "--kind", "maintenance", "--starts-at", "2030-01-01T02:00:00Z",
                 "--ends-at", "2030-01-01T03:00:00Z")

    keys: dict[str, set[str]] = {}
    for event in event_log():
        keys.setdefault(event.type, set()).update(event.payload)
    profile = Profile(alice.customer.pk, alice.customer.name)
    for state in ("online", "offline"):
        keys[f"customer:{state}"] = set(customer_presence(profile))
    for action in ("activity", "viewing_product", "added_to_cart"):
        keys[f"customer:{action}"] = set(customer_activity(profile, {"action": action}))
    return keys


@pytest.mark.django_db
def test_every_payload_field_sent_is_declared_and_no_more(built: dict[str, set[str]]) -> None:
    assert set(built) == set(DECLARED["EventPayloads"]), "every type was built once"
    for event_type, keys in built.items():
        assert declared_fields(event_type) == keys, event_type


def constant(name: str) -> dict[str, str]:
    text = (JS / "constants.d.ts").read_text()
    body = re.search(rf"const {name}: Readonly<\{{(.*?)\}}>", text, re.S)[1]
    return {m[1]: m[3].strip().strip('"') for m in FIELD.finditer(body)}


def test_close_and_error_codes_are_the_servers() -> None:
    codes = {k: int(v) for k, v in constant("CLOSE_CODES").items()}
    assert codes == {k: v for k, v in vars(protocol.CloseCode).items() if k.isupper()}
    assert set(constant("ERROR_CODES").values()) == set(protocol.ERROR_CODES)
    assert set(constant("AUTH_FAILURES").values()) == set(protocol.AUTH_FAILURES)
