"""The ES modules of the apps' own widgets, declared beside their namespaces.

An app whose templates render widgets of its own (``data-rt-widget="sales-ticker"``)
declares the static path of a module exporting ``widgets`` (name → mount function)
and optionally ``toasts``; ``{% realtime_scripts %}`` lists them for the page's boot
module, which imports them and mounts their widgets beside realtime's own::

    from realtime.widgets import register_module

    register_module("helpdesk/widgets/index.js")
"""

from __future__ import annotations

_modules: list[str] = []


def register_module(path: str) -> None:
    """A widget module's path under the static files (as ``{% static %}`` takes it)."""
    if path not in _modules:
        _modules.append(path)


def modules() -> list[str]:
    return list(_modules)
