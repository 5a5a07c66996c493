"""REST API for products (every role reads) and stock (staff-level roles only)."""

from __future__ import annotations

from rest_framework import viewsets

from orders.permissions import StaffWrites

from .models import Inventory, Product
from .serializers import InventorySerializer, ProductSerializer


class ProductViewSet(viewsets.ModelViewSet):
    namespace = "products"
    permission_classes = [StaffWrites]
    queryset = Product.objects.all()
    serializer_class = ProductSerializer


class InventoryViewSet(viewsets.ModelViewSet):
    namespace = "inventory"
    permission_classes = [StaffWrites]
    queryset = Inventory.objects.select_related("product")
    serializer_class = InventorySerializer
