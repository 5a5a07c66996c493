"""The admin's Realtime page (realtime.admin) and ``manage.py realtime_stats``."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from realtime import stats

from .test_stats import raw

PAGE = "/admin/realtime/processstats/"
STATIC = Path(__file__).resolve().parents[2] / "realtime" / "static" / "realtime" / "admin"


@pytest.fixture
def other_process(db: Any) -> dict[str, Any]:
    snap = raw("77-web2", pid=77, host="web2", roles={"customer": 2},
               namespaces={"orders": 2}, counters={"connects": 4, "events.order:created": 1})
    stats.DatabaseStore().write(snap)
    return snap


def client_for(user: Any | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_the_admin_index_links_the_page_for_the_admin_role(admin_user: Any) -> None:
    body = client_for(admin_user).get("/admin/").content.decode()
    assert 'href="/admin/realtime/processstats/"' in body
    assert "Live stats" in body


def test_staff_do_not_see_the_link_and_are_refused_the_page(make_user: Any) -> None:
    staff = make_user("desk", is_staff=True)
    client = client_for(staff)
    assert PAGE not in client.get("/admin/").content.decode()
    assert client.get(PAGE).status_code == 403


def test_anonymous_visitors_are_sent_to_the_admin_login(db: Any) -> None:
    response = client_for(None).get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_page_renders_the_figures_and_the_data_for_its_script(admin_user: Any,
                                                                   other_process: dict) -> None:
    response = client_for(admin_user).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Realtime</h1>" in body
    assert 'data-url="/api/ws/stats"' in body
    assert 'src="/static/realtime/admin/stats.js"' in body and 'type="module"' in body
    assert "77-web2" in body and "web2" in body
    initial = re.search(r'<script id="realtime-stats-initial" type="application/json">(.*?)'
                        r"</script>", body, re.S)
    data = json.loads(initial.group(1))
    assert data["processes"][0]["current"] is True
    assert data["processes"][1]["origin"] == "77-web2"
    assert data["connections"]["byRole"].get("customer") == 2


def test_the_page_offers_no_editing(admin_user: Any) -> None:
    client = client_for(admin_user)
    assert client.get("/admin/realtime/processstats/add/").status_code == 403


def test_the_page_script_never_writes_html() -> None:
    for path in STATIC.glob("*.js"):
        source = path.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
            assert sink not in source, f"{path.name} uses {sink}"


# manage.py realtime_stats


def test_realtime_stats_prints_totals_and_a_row_per_process(other_process: dict) -> None:
    out = StringIO()
    call_command("realtime_stats", stdout=out)
    text = out.getvalue()
    assert "store: database" in text
    assert re.search(r"^processes\s+1$", text, re.M)
    assert re.search(r"^connections\s+2\s+\(by role: customer 2\)$", text, re.M)
    assert re.search(r"^subscriptions\s+orders 2$", text, re.M)
    header, rule, row = text.strip().splitlines()[-3:]
    assert header.split()[:3] == ["host", "pid", "origin"]
    assert set(rule.replace(" ", "")) == {"-"}
    assert row.split()[:3] == ["web2", "77", "77-web2"]


def test_realtime_stats_json_is_the_endpoint_json(other_process: dict) -> None:
    out = StringIO()
    call_command("realtime_stats", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [p["origin"] for p in data["processes"]] == ["77-web2"]
    assert data["connects"] == 4
    assert data["events"] == {"total": 1, "byType": {"order:created": 1}}


def test_realtime_stats_says_when_no_server_is_live(db: Any) -> None:
    out = StringIO()
    call_command("realtime_stats", stdout=out)
    assert "No live server process" in out.getvalue()
