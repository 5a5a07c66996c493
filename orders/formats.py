"""Value formats of docs/protocol.md payloads, shared by the orders and inventory builders."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

CENT = Decimal("0.01")


def money(value: Decimal | str | float | int | None) -> str | None:
    """A decimal string with two places ("149.90"); clients never see a float.

    Rounds half-even, as a DecimalField stores the value, so an unsaved instance's
    payload matches the row a client reloads.
    """
    if value is None:
        return None
    return str(Decimal(str(value)).quantize(CENT))


def iso_utc(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, the form of the frames' ``ts``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
