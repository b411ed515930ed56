from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from . import checks  # noqa: F401  # registers the outbox's system checks
