"""``/products/`` and ``/products/<id>/``: HTML pages, included by the project at the root."""

from django.urls import path

from . import pages

urlpatterns = [
    path("products/", pages.product_list, name="product-list"),
    path("products/<int:pk>/", pages.product_detail, name="product-detail"),
]
