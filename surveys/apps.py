from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self) -> None:
        # Registers the survey email's renderer with the outbox (tickets/notifications.py).
        from . import renderers  # noqa: F401
