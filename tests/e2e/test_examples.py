"""examples/ (docs/client.md) in a real browser against a real server.

Both example pages are served by the app itself (``/static/examples/``, the same origin
as the socket, so the session and the CSRF cookie apply). A staff user logs in through
the form, opens a page, and an order saved in another Django process arrives in it.
Headless Chromium and the server harness are test_browser.py's; every wait is on a DOM
condition with a deadline. ``UPDATE_SCREENSHOTS=1`` writes docs/img/react-example.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e import test_browser as browser_tests
from tests.e2e.test_browser import LIVE, Site, Tab, screenshot
from tests.support.node import build_react_example

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - skipped by test_browser's pytestmark
    expect = None

pytestmark = browser_tests.pytestmark
# test_browser.py's fixtures: its seeded server, its Chromium, its logged-in tabs.
site = browser_tests.site
browser = browser_tests.browser
open_tab = browser_tests.open_tab

PLAIN = "/static/examples/plain/index.html"
REACT = "/static/examples/react/index.html"


@pytest.fixture(scope="module")
def react_bundle() -> Path:
    return build_react_example()


def test_plain_example_shows_an_order_saved_elsewhere(site: Site,
                                                      open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("staff")
    page = tab.page
    page.goto(PLAIN)
    expect(page.locator("#state")).to_have_attribute("data-state", "open", timeout=LIVE)
    # The token came from POST /api/ws/token with the CSRF cookie, and `auth` accepted it.
    expect(page.locator("#role")).to_have_attribute("data-via", "token", timeout=LIVE)
    expect(page.locator("#role")).to_have_text("staff")

    order_id = site.create_order("bob", "12.34")
    row = page.locator(f'#orders > li[data-order-id="{order_id}"]')
    expect(row).to_contain_text("Bob Chen 12.34", timeout=LIVE)
    site.set_status(order_id, "shipped")
    expect(row).to_have_attribute("data-status", "shipped", timeout=LIVE)
    expect(row).to_contain_text("order:")
    tab.assert_clean()


def test_react_example_shows_an_order_saved_elsewhere(site: Site, open_tab: Callable[..., Tab],
                                                      react_bundle: Path,
                                                      tmp_path: Path) -> None:
    assert react_bundle.stat().st_size > 10_000, "React is bundled in"
    tab = open_tab("staff")
    page = tab.page
    page.goto(REACT)
    expect(page.locator("#state")).to_have_attribute("data-state", "open", timeout=LIVE)
    revenue = page.locator(".rt-ticker__revenue")
    expect(revenue).to_have_text("$0.00")

    order_id = site.create_order("bob", "249.00")
    row = page.locator(f'.rt-ticker__orders > li[data-order-id="{order_id}"]')
    expect(row).to_contain_text("Bob Chen", timeout=LIVE)
    expect(row).to_contain_text("$249.00")
    expect(revenue).to_have_text("$249.00")
    badge = page.locator(f'#latest .rt-badge[data-order-id="{order_id}"]')
    expect(badge).to_have_text("Pending")

    site.set_status(order_id, "shipped")
    expect(badge).to_have_text("Shipped", timeout=LIVE)
    expect(badge).to_have_class(re.compile(r"\brt-badge--shipped\b"))
    expect(row).to_contain_text("Shipped")
    screenshot(page, "react-example.png", tmp_path)

    site.set_status(order_id, "cancelled")
    expect(revenue).to_have_text("$0.00", timeout=LIVE)
    tab.assert_clean()


def test_the_python_sample_of_the_client_doc_receives_an_order(site: Site) -> None:
    """docs/client.md's Python sample, pointed at this server, sees an order saved elsewhere."""
    import json
    import subprocess
    import sys
    import threading

    from tests.support.servers import DEMO_PASSWORD, ROOT, stop_process, wait_for

    text = (ROOT / "docs" / "client.md").read_text()
    sample = re.search(r"^```python\n(.*?)^```", text, re.M | re.S)[1]
    sample = sample.replace('SERVER = "127.0.0.1:8000"', f'SERVER = "127.0.0.1:{site.server.port}"')
    sample = sample.replace('"omni-demo-2024"', repr(DEMO_PASSWORD))
    process = subprocess.Popen([sys.executable, "-c", sample], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    # Read in a thread, so every wait below is a deadline and never a blocked readline.
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        wait_for(lambda: any(line.startswith("subscribed") for line in lines), timeout=30,
                 what="the sample's subscription")
        order_id = site.create_order("alice", "7.00")
        assert process.wait(timeout=30) == 0, "".join(lines)
        reader.join(10)
        created = [json.loads(line.split(" ", 1)[1]) for line in lines
                   if line.startswith("order:created ")]
        assert [order["id"] for order in created] == [order_id], "".join(lines)
        assert created[0]["customerName"] == "Alice Martin"
    finally:
        stop_process(process)
