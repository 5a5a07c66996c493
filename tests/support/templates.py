"""Rendering template tags as a page would, for the widget tests of every app."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parents[2]
XSS = "<img src=x onerror=alert(1)>"


def render(source: str, user: Any = None, *, load: str = "realtime", **context: Any) -> str:
    """``source`` after ``{% load <load> %}``, for ``user`` (anonymous by default)."""
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return Template(f"{{% load {load} %}}" + source).render(
        Context({"request": request, "user": request.user, **context}))


def state_of(html: str, widget: str) -> dict[str, Any]:
    """The JSON state a widget wrote for its module."""
    start = html.index(f'data-rt-widget="{widget}"')
    script = re.search(r'<script type="application/json" data-rt-state>(.*?)</script>',
                       html[start:], re.S)
    return json.loads(script.group(1))
