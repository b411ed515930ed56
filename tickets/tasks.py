from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from . import notifications


@shared_task
def deliver_event_messages(event_id: int) -> int:
    """Send the emails one ticket event caused; safe to run twice (rows are claimed first)."""
    return notifications.deliver_for_event(event_id)


@shared_task
def deliver_message(message_id: int) -> bool:
    """Send one outbox row queued with `enqueue()`; safe to run twice (the row is claimed first)."""
    return notifications.deliver(message_id)


@shared_task
def sweep_outbox() -> int:
    """Deliver outbox rows whose nudge was lost, so a broker outage only delays mail."""
    return notifications.sweep(now=timezone.now())


@shared_task
def close_resolved_tickets() -> int:
    """Close resolved tickets whose requester neither confirmed nor reopened in time."""
    from .services import close_resolved_tickets as close

    return close(now=timezone.now(), after=timedelta(days=settings.AUTO_CLOSE_AFTER_DAYS))


@shared_task
def check_sla() -> int:
    """Send SLA warnings and breaches that have come due (each once), and escalate."""
    from .services import check_sla as check

    return check(now=timezone.now())
