from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"

    def ready(self) -> None:
        # Registers the survey email's renderer with the outbox (tickets/notifications.py).
        from . import renderers  # noqa: F401
        from .loop_mail import render_we_did  # noqa: F401  # the follow-up and pulse emails
        from .pulse_tasks import open_pulse_round  # noqa: F401  # the pulse's beat task
