from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self) -> None:
        # Registers the survey email's renderer with the outbox (tickets/notifications.py).
        from . import renderers  # noqa: F401
        from . import loop_mail, pulse_tasks  # noqa: F401  # follow-up and pulse emails, pulse beat
