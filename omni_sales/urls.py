from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("realtime.urls")),
    path("api/", include("orders.urls")),
    path("api/", include("inventory.urls")),
]
