"""Money as people read it: "$47,829.07", in the shop's currency and the page's locale.

The currency is the project setting ``CURRENCY`` (ISO 4217, default ``USD``): the demo's
orders app owns money, so the setting is the shop's, not the realtime layer's. Payloads
keep plain decimal strings (``orders.formats.money``); only what a page shows is
formatted. The widgets format live values with ``Intl.NumberFormat(lang, {style:
"currency", currency})`` (orders/static/orders/widgets/money.js); this module renders
the first paint with the active language's separators (Django's l10n formats) and the
symbol and places ``Intl`` uses for the currency in English (``CURRENCIES``), so with
an English ``LANGUAGE_CODE`` both agree to the character and a live update does not
change how a figure looks; in other languages the separators agree, the symbol's place
may not.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import numberformat
from django.utils.formats import get_format

DEFAULT_CURRENCY = "USD"

# ISO code → (symbol, decimal places), as Intl.NumberFormat writes them in English.
# A currency not listed is written as its code and a no-break space ("CHF 12.00").
CURRENCIES: dict[str, tuple[str, int]] = {
    "USD": ("$", 2),
    "EUR": ("€", 2),
    "GBP": ("£", 2),
    "JPY": ("¥", 0),
    "INR": ("₹", 2),
    "CAD": ("CA$", 2),
    "AUD": ("A$", 2),
}


def currency() -> str:
    """The shop's currency code (``settings.CURRENCY``), upper case."""
    return str(getattr(settings, "CURRENCY", DEFAULT_CURRENCY) or DEFAULT_CURRENCY).upper()


def format_money(value: Any, code: str | None = None) -> str:
    """``Decimal("47829.07")`` → ``"$47,829.07"``; a value that is not a number is
    returned as text, unchanged (never an exception in a template)."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return "" if value is None else str(value)
    if not amount.is_finite():
        return str(value)
    code = (code or currency()).upper()
    symbol, places = CURRENCIES.get(code, (f"{code}\u00a0", 2))
    # Intl rounds half away from zero; numberformat would cut the extra digits off.
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    digits = numberformat.format(
        abs(amount), get_format("DECIMAL_SEPARATOR"), decimal_pos=places,
        grouping=get_format("NUMBER_GROUPING") or 3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"), force_grouping=True)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{digits}"
