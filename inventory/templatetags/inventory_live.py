"""Omni Sales' stock widget: ``{% load inventory_live %}``.

Products at or below their threshold, kept live by ``inventory:*`` (declared by
inventory/realtime.py) over the page's one socket.
"""

from __future__ import annotations

from typing import Any

from django import template

from realtime.events import Access
from realtime.templatetags.realtime import access_to, json_state, widget_context

register = template.Library()


@register.inclusion_tag("inventory/widgets/inventory_alerts.html", takes_context=True)
def inventory_alerts(context: template.Context, max_items: int = 8) -> dict[str, Any]:
    """Products at or below their threshold (``stock_alerts`` payloads in the context),
    kept live by ``inventory:*``. Only for roles that see the inventory namespace."""
    if access_to(context, "inventory") is Access.NONE:
        return widget_context(context, visible=False)
    items = list(context.get("stock_alerts") or [])[:max_items]
    state = {"items": items, "maxItems": max_items}
    return widget_context(context, visible=True, items=items, state=json_state(state))
