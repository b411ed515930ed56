from celery import shared_task
from django.utils import timezone

from tickets import notifications
from tickets.models import OutboxMessage

from . import password_reset


@shared_task
def deliver_password_reset(key: str) -> bool:
    """Send the password reset queued under `key`, if the address was an account's.

    Nudged for every request, found or not, so that the request costs the same either way;
    the outbox sweep sends the row if this nudge is lost.
    """
    message_id = OutboxMessage.objects.filter(key=key).values_list("pk", flat=True).first()
    return message_id is not None and notifications.deliver(message_id)


@shared_task
def forget_password_reset_counters() -> int:
    """Hourly: drop the reset limits' counters of hours that are over."""
    return password_reset.forget_counters(now=timezone.now())
