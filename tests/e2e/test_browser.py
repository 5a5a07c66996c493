"""The dashboard, the widgets and presence in a real browser.

Debian's Chromium (headless), driven by Playwright for Python, against a Daphne server
this module starts on a seeded project database. Data changes are made the way an
operator would, in another Django process (``Project.shell``), so events travel the
whole way: save → event log → the server (the embedded mode's bridge) → the page's
socket → the widget's DOM. Every wait is on a DOM condition with a deadline.

``UPDATE_SCREENSHOTS=1`` writes the screenshots to docs/img/ (committed, shown in the
README); otherwise they go to the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.support.servers import DEMO_PASSWORD, ROOT, DaphneServer, Project, RedisServer

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - reported as a skip below
    sync_playwright = None

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
XSS = "<img src=x onerror=alert(1)>"
# Generous for a loaded machine; a passing wait returns as soon as the DOM is right.
LIVE = 15_000
# After a restart the client backs off (full jitter, 0.5 s doubling) before it retries.
RECONNECT = 45_000

if sync_playwright is None:
    pytestmark = [pytestmark, pytest.mark.skip(
        reason="playwright is not installed: .venv/bin/pip install -r requirements-dev.txt")]
elif not CHROMIUM.exists():
    pytestmark = [pytestmark, pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM} (Debian: apt-get install chromium)")]


# The site under test


@dataclass
class Site:
    project: Project
    server: DaphneServer

    def shell(self, code: str) -> str:
        """Runs Python in another Django process; returns its last printed line."""
        lines = self.project.shell(code).strip().splitlines()
        return lines[-1] if lines else ""

    def create_order(self, username: str, total: str) -> int:
        return int(self.shell(
            "from orders.models import Customer, Order\n"
            f"customer = Customer.objects.get(user__username={username!r})\n"
            f"print(Order.objects.create(customer=customer, total={total!r}, channel='phone').pk)\n"))

    def set_status(self, order_id: int, status: str) -> None:
        self.shell("from orders.models import Order\n"
                   f"order = Order.objects.get(pk={order_id})\n"
                   f"order.status = {status!r}\n"
                   "order.save()\n")

    def first_order_of(self, username: str) -> int:
        return int(self.shell(
            "from orders.models import Order\n"
            f"print(Order.objects.filter(customer__user__username={username!r})"
            ".order_by('id').first().pk)\n"))

    def create_customer(self, username: str, name: str) -> None:
        self.shell("from django.contrib.auth import get_user_model\n"
                   "from orders.models import Customer\n"
                   f"user = get_user_model().objects.create_user({username!r}, "
                   f"password={DEMO_PASSWORD!r})\n"
                   f"Customer.objects.create(user=user, name={name!r})\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    project = Project.create(tmp_path_factory.mktemp("browser"))
    site = Site(project, DaphneServer.start(project))
    yield site
    site.server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A page in its own browser context (its own cookies: one user)."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.dialogs == [], f"a dialog opened: {self.dialogs}"
        assert self.errors == [], f"uncaught errors in the page: {self.errors}"


@pytest.fixture
def open_tab(browser: Browser, site: Site) -> Iterator[Callable[..., Tab]]:
    """``open_tab("staff")``: a new browser context, logged in through the login form
    (``then="/products/3/"`` lands there after logging in)."""
    contexts = []

    def open_(username: str | None = None, then: str | None = None) -> Tab:
        context = browser.new_context(base_url=site.server.http,
                                      viewport={"width": 1280, "height": 860})
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.page.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message),
                                              dialog.dismiss()))
        tab.page.on("pageerror", lambda error: tab.errors.append(str(error)))
        if username:
            log_in(tab.page, username, then)
        return tab

    yield open_
    for context in contexts:
        context.close()


def log_in(page: Page, username: str, then: str | None = None) -> None:
    """Through the real form; ``then`` is the ``next`` page (else the home redirect)."""
    page.goto(f"/login/?next={then}" if then else "/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', DEMO_PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(lambda url: "/login/" not in url)


def connection(page: Page) -> Any:
    return page.locator('header [data-rt-widget="connection"]')


def wait_live(page: Page, timeout: int = LIVE) -> None:
    expect(connection(page)).to_have_attribute("data-state", "open", timeout=timeout)


def order_row(page: Page, order_id: int) -> Any:
    return page.locator(f'[data-rt-part="orders"] > li[data-order-id="{order_id}"]')


# What the pages show money as: "$47,829.07" (orders/money.py, widgets/money.js).
DOLLARS = re.compile(r"^-?\$\d{1,3}(,\d{3})*\.\d{2}$")


def dollars(amount: Decimal) -> str:
    return f"{'-' if amount < 0 else ''}${abs(amount):,.2f}"


def revenue(page: Page) -> Decimal:
    text = page.locator('[data-rt-part="revenue"]').inner_text()
    assert DOLLARS.match(text), text
    return Decimal(text.replace("$", "").replace(",", ""))


def screenshot(page: Page, name: str, tmp_path: Path) -> Path:
    folder = ROOT / "docs" / "img" if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    path = folder / name
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    assert path.stat().st_size > 10_000
    return path


# Tests


def test_staff_dashboard_ticker_revenue_and_badge(site: Site, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("staff")
    page = tab.page
    expect(page).to_have_url(re.compile(r"/dashboard/$"))  # home sends staff roles there
    wait_live(page)
    expect(page.get_by_test_id("current-role")).to_have_text("staff")
    expect(page.locator('[data-rt-widget="customer-count"]')).to_be_visible()
    expect(page.locator('[data-rt-widget="inventory-alerts"]')).to_be_visible()
    expect(page.locator('[data-rt-part="payments-panel"]')).to_have_count(0)
    before = revenue(page)

    order_id = site.create_order("bob", "123.45")
    row = order_row(page, order_id)
    expect(row).to_contain_text("Bob Chen", timeout=LIVE)
    expect(row.locator('[data-rt-part="order-total"]')).to_have_text("$123.45")
    expect(page.locator('[data-rt-part="orders"] > li').first).to_have_attribute(
        "data-order-id", str(order_id))
    expect(page.locator('[data-rt-part="revenue"]')).to_have_text(dollars(before + Decimal("123.45")))

    site.set_status(order_id, "shipped")
    badge = row.locator('[data-rt-widget="order-status"]')
    expect(badge).to_have_attribute("data-status", "shipped", timeout=LIVE)
    expect(badge).to_have_text("Shipped")
    expect(badge).to_have_class(re.compile(r"\brt-badge--changed\b"))

    site.set_status(order_id, "cancelled")
    expect(page.locator('[data-rt-part="revenue"]')).to_have_text(dollars(before), timeout=LIVE)
    tab.assert_clean()


def test_reconnects_after_a_restart_and_shows_what_it_missed(site: Site,
                                                             open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("staff")
    page = tab.page
    page.goto("/dashboard/")
    wait_live(page)
    port = site.server.port

    site.server.stop()
    expect(connection(page)).to_have_attribute("data-state", re.compile("reconnecting|connecting"),
                                               timeout=LIVE)
    expect(connection(page)).to_contain_text("Reconnecting")
    missed = site.create_order("alice", "42.00")  # saved while no server runs
    site.server = DaphneServer.start(site.project, port=port)

    wait_live(page, timeout=RECONNECT)
    expect(order_row(page, missed)).to_contain_text("Alice Martin", timeout=LIVE)
    expect(order_row(page, missed)).to_have_count(1)
    live = site.create_order("bob", "1.00")  # and it is live again
    expect(order_row(page, live)).to_be_visible(timeout=LIVE)
    tab.assert_clean()


def test_customer_order_page_is_live_and_only_hers(site: Site, open_tab: Callable[..., Tab],
                                                   tmp_path: Path) -> None:
    order_id = site.create_order("alice", "64.90")
    tab = open_tab("alice")
    page = tab.page
    expect(page).to_have_url(re.compile(r"/orders/$"))  # home sends customers to their orders
    expect(page.locator(f'a[href="/orders/{order_id}/"]')).to_be_visible()

    response = page.goto(f"/orders/{order_id}/")
    assert response.status == 200
    wait_live(page)
    badge = page.locator(f'[data-rt-widget="order-status"][data-order-id="{order_id}"]')
    expect(badge).to_have_text("Pending")
    expect(badge.locator('[data-rt-part="conn"]')).to_have_attribute("data-state", "open")

    site.set_status(order_id, "confirmed")
    expect(badge).to_have_text("Confirmed", timeout=LIVE)
    site.set_status(order_id, "processing")
    expect(badge).to_have_text("Processing", timeout=LIVE)
    expect(badge).to_have_class(re.compile(r"\brt-badge--processing\b"))
    # The progress steps follow the badge (CSS :has on its data-status).
    expect(page.locator(".steps__item--processing")).to_have_css("font-weight", "600")
    expect(page.locator(".steps__item--shipped")).not_to_have_css("font-weight", "600")
    screenshot(page, "customer-order.png", tmp_path)

    bobs = site.first_order_of("bob")
    response = page.goto(f"/orders/{bobs}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Bob Chen")
    tab.assert_clean()


def test_customer_count_follows_a_customer_in_another_context(site: Site,
                                                              open_tab: Callable[..., Tab],
                                                              tmp_path: Path) -> None:
    username = f"carol{uuid.uuid4().hex[:6]}"
    site.create_customer(username, "Carol Diaz")
    dashboard = open_tab("manager")
    page = dashboard.page
    wait_live(page)
    count = page.locator('[data-rt-part="count"]')
    before = int(count.inner_text())

    shopper = open_tab(username, then="/products/3/")
    wait_live(shopper.page)
    expect(count).to_have_text(str(before + 1), timeout=LIVE)
    feed = page.locator('[data-rt-part="feed"]')
    expect(feed.locator("li").first).to_contain_text("Carol Diaz is viewing 27-inch Monitor",
                                                     timeout=LIVE)
    shopper.page.fill('[data-rt-part="quantity"]', "2")
    shopper.page.click("text=Add to cart")
    expect(shopper.page.locator('[data-rt-part="cart-status"]')).to_have_text("Added 2 to your cart")
    expect(feed.locator("li").first).to_contain_text(
        "Carol Diaz added 2 × 27-inch Monitor to the cart", timeout=LIVE)
    site.create_order("bob", "249.00")  # something in the ticker's first row, for the picture
    expect(page.locator('[data-rt-part="orders"] > li').first).to_contain_text("249.00",
                                                                               timeout=LIVE)
    screenshot(page, "dashboard.png", tmp_path)

    shopper.page.context.close()
    expect(count).to_have_text(str(before), timeout=LIVE)
    expect(feed.locator("li").first).to_contain_text("Carol Diaz went offline", timeout=LIVE)
    dashboard.assert_clean()


def test_a_customer_named_like_markup_renders_as_text(site: Site,
                                                      open_tab: Callable[..., Tab]) -> None:
    username = f"mallory{uuid.uuid4().hex[:6]}"
    site.create_customer(username, XSS)
    staff = open_tab("staff")
    page = staff.page
    page.goto("/dashboard/")
    wait_live(page)

    shopper = open_tab(username, then="/products/1/")  # online, then activity
    chips = page.locator('[data-rt-part="online"]')
    expect(chips).to_contain_text(XSS, timeout=LIVE)
    expect(page.locator('[data-rt-part="feed"]')).to_contain_text(f"{XSS} is viewing", timeout=LIVE)

    order_id = site.create_order(username, "6.66")  # live: built by the widget
    expect(order_row(page, order_id)).to_contain_text(XSS, timeout=LIVE)
    page.reload()  # server-rendered: escaped by the template
    wait_live(page)
    expect(order_row(page, order_id)).to_contain_text(XSS)
    expect(page.locator("main img")).to_have_count(0)
    assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
    staff.assert_clean()
    shopper.assert_clean()


def test_manager_sees_payments_and_stock_toasts(site: Site, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("manager")
    page = tab.page
    wait_live(page)
    panel = page.locator('[data-rt-part="payments-panel"]')
    expect(panel).to_be_visible()

    order_id = site.create_order("alice", "19.90")
    payment_id = int(site.shell(
        "from orders.models import Order, Payment\n"
        f"print(Payment.objects.create(order=Order.objects.get(pk={order_id}), amount='19.90',"
        " method='card', status='completed').pk)\n"))
    payment = panel.locator(f'li[data-payment-id="{payment_id}"]')
    expect(payment).to_contain_text("Received", timeout=LIVE)
    expect(payment).to_contain_text("19.90")

    site.shell("from inventory.models import Inventory\n"
               "stock = Inventory.objects.get(product__sku='WC-005')\n"
               "stock.quantity = 0\n"
               "stock.save()\n")
    toasts = page.locator('[data-rt-part="toasts"]')
    expect(toasts).to_contain_text("Out of stock", timeout=LIVE)
    expect(toasts).to_contain_text("HD Webcam (WC-005) is out of stock")
    expect(page.locator('[data-rt-part="stock-items"] li').first).to_contain_text("HD Webcam")
    tab.assert_clean()


def bars_by_minute(page: Page) -> dict[str, int]:
    """The chart's bars: minute (ISO) → orders."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
        '[data-rt-widget="sales-chart"] rect[data-minute]')].map(
        (r) => [r.getAttribute('data-minute'), Number(r.getAttribute('data-orders'))]))""")


def test_dashboard_money_and_chart_of_today(site: Site, open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("staff")
    page = tab.page
    wait_live(page)
    revenue(page)  # asserts "$12,345.67"
    totals = page.locator('[data-rt-part="order-total"]').all_inner_texts()
    assert totals and all(DOLLARS.match(total) for total in totals), totals
    chart = page.locator('[data-rt-widget="sales-chart"]')
    expect(chart.locator("rect[data-minute]").first).to_be_visible()
    before = bars_by_minute(page)
    assert sum(before.values()) >= 1, "the seeded orders of today are on the chart"
    points = chart.locator("circle.rt-chart__point")
    expect(points).to_have_count(len(before))  # staff see today's revenue: a point per bar

    order_id = site.create_order("alice", "1500.00")
    minute = site.shell("from orders.models import Order\n"
                        "from orders.formats import iso_utc\n"
                        f"created = Order.objects.get(pk={order_id}).created_at\n"
                        "print(iso_utc(created.replace(second=0, microsecond=0)))\n")
    bar = chart.locator(f'rect[data-minute="{minute}"]')
    expect(bar).to_have_attribute("data-orders", str(before.get(minute, 0) + 1), timeout=LIVE)
    after = bars_by_minute(page)
    assert len(after) == len(before) + (minute not in before)
    expect(points).to_have_count(len(after))
    expect(bar.locator("title")).to_contain_text("$")
    tab.assert_clean()


def test_product_list_follows_prices_new_products_and_stock(site: Site,
                                                            open_tab: Callable[..., Tab]) -> None:
    tab = open_tab("staff")
    page = tab.page
    page.goto("/products/")
    wait_live(page)
    product_id = int(site.shell("from inventory.models import Product\n"
                                "print(Product.objects.get(sku='DK-006').pk)\n"))
    card = page.locator(f'[data-rt-widget="product-list"] li[data-product-id="{product_id}"]')
    expect(card.locator('[data-rt-part="price"]')).to_have_text(DOLLARS)

    site.shell("from decimal import Decimal\n"
               "from inventory.models import Product\n"
               "product = Product.objects.get(sku='DK-006')\n"
               "product.price = Decimal('1234.50')\n"
               "product.save()\n")
    expect(card.locator('[data-rt-part="price"]')).to_have_text("$1,234.50", timeout=LIVE)

    site.shell("from inventory.models import Inventory\n"
               "stock = Inventory.objects.get(product__sku='DK-006')\n"
               "stock.quantity = 7\n"
               "stock.save()\n")
    expect(card.locator('[data-rt-part="stock"]')).to_have_text("7 in stock", timeout=LIVE)

    sku = f"NEW-{uuid.uuid4().hex[:6]}"
    new_id = int(site.shell("from decimal import Decimal\n"
                            "from inventory.models import Product\n"
                            f"print(Product.objects.create(sku={sku!r}, name='Aardvark Mat',"
                            " price=Decimal('19.00')).pk)\n"))
    new = page.locator(f'[data-rt-widget="product-list"] li[data-product-id="{new_id}"]')
    expect(new).to_contain_text("Aardvark Mat", timeout=LIVE)
    expect(new.locator('[data-rt-part="price"]')).to_have_text("$19.00")
    cards = page.locator('[data-rt-widget="product-list"] li[data-product-id]')
    live = [card.get_attribute("data-product-id") for card in cards.all()]
    page.reload()  # the new card went where the server lists it
    wait_live(page)
    assert [card.get_attribute("data-product-id") for card in cards.all()] == live
    tab.assert_clean()


def test_admin_live_stats_turn_red_while_the_store_is_down(browser: Browser,
                                                          tmp_path: Path) -> None:
    """On Redis (the embedded default's store is the database, which the page's own
    server needs anyway): redis-server killed, then started again."""
    redis = RedisServer.start(tmp_path)
    project = Project.create(tmp_path / "project", redis_url=redis.url)
    server = DaphneServer.start(project)
    context = browser.new_context(base_url=server.http, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        log_in(page, "admin", then="/admin/realtime/processstats/")
        dot = page.locator("#realtime-stats .rt-dot")
        status = page.locator('#realtime-stats [data-field="status"]')
        expect(dot).to_have_attribute("data-state", "live", timeout=LIVE)
        expect(status).to_have_text("live")
        expect(page.locator('#realtime-stats [data-field="store.backend"]')).to_have_text("redis")

        redis.kill()
        expect(dot).to_have_attribute("data-state", "error", timeout=LIVE)
        expect(status).to_contain_text("store down")

        redis.restart(tmp_path)
        expect(dot).to_have_attribute("data-state", "live", timeout=RECONNECT)
        expect(status).to_have_text("live")
    finally:
        context.close()
        server.stop()
        redis.stop()
