from celery import shared_task
from django.utils import timezone

from . import services


@shared_task
def invite_due() -> int:
    """Invite the requesters of tickets resolved past their rule's delay (each ticket once)."""
    return services.invite_due(timezone.now())


@shared_task
def invite_relationship_due() -> int:
    """Ask this period's sample of active requesters the relationship NPS question."""
    return services.invite_relationship_due(timezone.now())


@shared_task
def keep_invitations_current() -> dict[str, int]:
    """Mark sent what the outbox sent; cancel invitations of reopened tickets; expire old ones."""
    return services.keep_invitations_current(timezone.now())


@shared_task
def remind_due() -> int:
    """Send the one reminder of unanswered invitations whose reminder date has come."""
    return services.remind_due(timezone.now())
