"""Money in templates: ``{% load money %}``, ``{{ order.total|currency }}`` and
``data-currency="{% currency_code %}"`` for the widgets that format live values
(orders.money says how both sides agree)."""

from __future__ import annotations

from typing import Any

from django import template

from orders.money import currency, format_money

register = template.Library()


@register.filter(name="currency")
def currency_filter(value: Any) -> str:
    """``47829.07`` → ``"$47,829.07"`` in the shop's currency."""
    return format_money(value)


@register.simple_tag
def currency_code() -> str:
    """The shop's currency code, for a widget's ``data-currency``."""
    return currency()
