from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("realtime.urls")),
    path("api/", include("orders.urls")),
    path("api/", include("inventory.urls")),
    # HTML pages
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("", include("orders.page_urls")),
    path("", include("inventory.page_urls")),
]
