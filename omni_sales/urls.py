from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("realtime.urls")),
    path("api/", include("orders.urls")),
    path("api/", include("inventory.urls")),
    # The OpenAPI 3 schema of every endpoint above, and Swagger UI over it (public:
    # SPECTACULAR_SETTINGS in omni_sales/settings.py says why).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # HTML pages
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", include("orders.page_urls")),
    path("", include("inventory.page_urls")),
]
