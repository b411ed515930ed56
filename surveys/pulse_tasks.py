"""The pulse's beat task (imported by SurveysConfig.ready, so workers register it)."""

from celery import shared_task
from django.utils import timezone


@shared_task
def open_pulse_round() -> int:
    """Open this month's agent pulse and invite staff not invited yet; hourly, safe to repeat."""
    from .pulse import open_and_invite

    return open_and_invite(now=timezone.now())
