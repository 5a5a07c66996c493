"""``/orders/`` and ``/orders/<id>/``: HTML pages, included by the project at the root."""

from django.urls import path

from . import pages

urlpatterns = [
    path("orders/", pages.order_list, name="order-list"),
    path("orders/<int:pk>/", pages.order_detail, name="order-detail"),
]
