"""REST API for orders and payments; customers see only their own (docs/protocol.md roles)."""

from __future__ import annotations

from rest_framework import viewsets

from .models import Order, Payment
from .permissions import ManagerWrites, NamespaceScopedMixin, StaffWrites
from .serializers import OrderSerializer, PaymentSerializer


class OrderViewSet(NamespaceScopedMixin, viewsets.ModelViewSet):
    namespace = "orders"
    owner_lookup = "customer_id"
    permission_classes = [StaffWrites]
    queryset = Order.objects.select_related("customer")
    serializer_class = OrderSerializer


class PaymentViewSet(NamespaceScopedMixin, viewsets.ModelViewSet):
    namespace = "payments"
    owner_lookup = "order__customer_id"
    permission_classes = [ManagerWrites]
    queryset = Payment.objects.select_related("order")
    serializer_class = PaymentSerializer
