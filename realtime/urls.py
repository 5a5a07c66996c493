from django.urls import path

from . import metrics, views

urlpatterns = [
    path("api/ws", views.DescribeView.as_view(), name="realtime-describe"),
    path("api/ws/info", views.InfoView.as_view(), name="realtime-info"),
    path("api/ws/stats", views.StatsView.as_view(), name="realtime-stats"),
    path("api/ws/presence", views.PresenceView.as_view(), name="realtime-presence"),
    path("api/ws/token", views.TokenView.as_view(), name="realtime-token"),
    path("api/ws/token/revoke", views.TokenRevokeView.as_view(), name="realtime-token-revoke"),
    path("metrics", metrics.MetricsView.as_view(), name="realtime-metrics"),
]
