from django.contrib import admin
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path
from helpdesk.views import ticket_page

urlpatterns = [
    path("admin/", admin.site.urls),
    path("tickets/<int:pk>/", ticket_page, name="ticket"),
    path("", include("realtime.urls")),
    *staticfiles_urlpatterns(),
]
