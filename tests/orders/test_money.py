"""Money on the pages: the shop's currency and the active language's separators, as
the widgets' Intl.NumberFormat writes it (orders/static/orders/widgets/money.js)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.utils import translation

from orders.money import currency, format_money


def render(source: str, **context: Any) -> str:
    return Template("{% load money %}" + source).render(Context(context))


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("47829.07"), "$47,829.07"),
    ("12", "$12.00"),
    ("0.00", "$0.00"),
    ("1234567.5", "$1,234,567.50"),
    ("-3.5", "-$3.50"),
    ("999.995", "$1,000.00"),
])
def test_dollars_as_intl_writes_them(value: Any, expected: str) -> None:
    assert format_money(value, "USD") == expected


@pytest.mark.parametrize(("code", "expected"), [
    ("EUR", "€47,829.07"), ("GBP", "£47,829.07"), ("JPY", "¥47,829"), ("CHF", "CHF\u00a047,829.07"),
])
def test_the_currency_decides_symbol_and_places(code: str, expected: str) -> None:
    assert format_money("47829.07", code) == expected


def test_not_a_number_is_shown_as_it_came() -> None:
    assert format_money("n/a") == "n/a"
    assert format_money(None) == ""


@override_settings(CURRENCY="eur")
def test_the_filter_uses_the_setting() -> None:
    assert currency() == "EUR"
    assert render("{{ v|currency }} {% currency_code %}", v=Decimal("1500")) == "€1,500.00 EUR"


def test_the_default_currency_is_dollars() -> None:
    assert render("{{ v|currency }}", v="47829.07") == "$47,829.07"


@override_settings(USE_THOUSAND_SEPARATOR=False)
def test_grouping_does_not_depend_on_use_thousand_separator() -> None:
    assert render("{{ v|currency }}", v="47829.07") == "$47,829.07"


def test_the_active_language_decides_the_separators() -> None:
    with translation.override("de"):
        assert format_money("1234.5", "USD") == "$1.234,50"
