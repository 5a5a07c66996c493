from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the Ticket receivers)
