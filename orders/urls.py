"""``/api/orders/`` and ``/api/payments/``; included under ``api/`` by the project."""

from rest_framework.routers import SimpleRouter

from .views import OrderViewSet, PaymentViewSet

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("payments", PaymentViewSet, basename="payment")

urlpatterns = router.urls
