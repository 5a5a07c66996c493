"""HTML pages of the inventory app: the product catalogue, and the stock alerts the
dashboard starts from.

Everyone sees the catalogue (the products namespace is open to every role). Roles that
see the inventory namespace also see stock levels and inactive products; for the others
an inactive product is a 404. A product page reports the customer's activity over the
page's socket (realtime/static/realtime/widgets/storefront.js).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from orders.permissions import access_of, identity_of
from realtime.events import Access
from realtime.templatetags.realtime import live_snapshot, url_pattern

from .events import inventory_payload
from .models import Inventory, Product


def stock_alerts(limit: int = 20) -> list[dict[str, Any]]:
    """Stock at or below its threshold (inventory payloads), emptiest first."""
    low = (Inventory.objects.select_related("product")
           .filter(quantity__lte=F("low_stock_threshold"), product__is_active=True)
           .order_by("quantity", "product__name"))
    return [inventory_payload(stock, stock.quantity) for stock in low[:limit]]


def product_names() -> dict[int, str]:
    """Product id → name, for the activity feed's lines."""
    return dict(Product.objects.values_list("id", "name"))


def sees_stock(request: HttpRequest) -> bool:
    return access_of(request, "inventory") is not Access.NONE


def visible_products(request: HttpRequest) -> QuerySet[Product]:
    products = Product.objects.select_related("inventory")
    return products if sees_stock(request) else products.filter(is_active=True)


def product_list(request: HttpRequest) -> HttpResponse:
    """``/products/``: the catalogue, with stock levels for roles that see inventory,
    kept live by its widget (inventory/static/inventory/widgets/catalogue.js)."""
    with live_snapshot() as since:
        products = list(visible_products(request))
    return render(request, "inventory/product_list.html", {
        "products": products, "sees_stock": sees_stock(request), "realtime_since": since,
        "product_url": url_pattern("product-detail"),
    })


def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/products/<id>/``: one product with its live price and, for customers, an
    "Add to cart" button; opening it reports ``viewing_product``."""
    with live_snapshot() as since:
        product = get_object_or_404(visible_products(request), pk=pk)
    return render(request, "inventory/product_detail.html", {
        "product": product, "sees_stock": sees_stock(request), "realtime_since": since,
        "is_customer": identity_of(request).role == "customer",
    })
