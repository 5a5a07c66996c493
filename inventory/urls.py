"""``/api/products/`` and ``/api/inventory/``; included under ``api/`` by the project."""

from rest_framework.routers import SimpleRouter

from .views import InventoryViewSet, ProductViewSet

router = SimpleRouter()
router.register("products", ProductViewSet, basename="product")
router.register("inventory", InventoryViewSet, basename="inventory")

urlpatterns = router.urls
