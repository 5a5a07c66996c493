"""The client's TypeScript declarations (realtime/static/realtime/js/*.d.ts) match the server.

events.d.ts declares the payload of every event type (``EventPayloads``) and the types of
every namespace (``NamespaceEvents``); these tests read it simply (its interfaces and their
fields) and compare it with ``realtime.events.catalogue()`` and with payloads the server
really builds: saves of real models (through the signals, as in production), the presence
and activity builders, and the ``notify`` command. A field declared but never sent, or sent
but not declared, fails. constants.d.ts is compared with realtime.protocol.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from realtime import protocol
from realtime.events import catalogue
from realtime.roles import Profile

JS = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime" / "js"
INTERFACE = re.compile(r"^export interface (\w+)(?: extends (\w+))? \{\n(.*?)^\}", re.M | re.S)
FIELD = re.compile(r'^\s*"?([\w:]+)"?(\??):\s*([^;]+);', re.M)


def interfaces(text: str) -> dict[str, dict[str, str]]:
    """Interface name → field → declared type, with the fields of what it extends."""
    found = {name: (parent, {m[1]: m[3].strip() for m in FIELD.finditer(body)})
             for name, parent, body in INTERFACE.findall(text)}

    def fields(name: str) -> dict[str, str]:
        parent, own = found[name]
        return {**(fields(parent) if parent else {}), **own}

    return {name: fields(name) for name in found}


DECLARED = interfaces((JS / "events.d.ts").read_text())


def declared_fields(event_type: str) -> set[str]:
    return set(DECLARED[DECLARED["EventPayloads"][event_type]])


def test_the_parser_reads_fields_and_inheritance() -> None:
    parsed = interfaces("export interface A {\n  a: number;\n  \"b:c\"?: string;\n}\n"
                        "export interface B extends A {\n  d: \"x\" | \"y\";\n}\n")
    assert parsed == {"A": {"a": "number", "b:c": "string"},
                      "B": {"a": "number", "b:c": "string", "d": '"x" | "y"'}}


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
