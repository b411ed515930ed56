"""The emails accounts sends through the outbox, rendered by the worker (see tickets/notifications)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tickets import notifications
from tickets.models import OutboxMessage

from .password_reset import KIND as PASSWORD_RESET


@notifications.renders(PASSWORD_RESET)
def password_reset(message: OutboxMessage) -> EmailMultiAlternatives:
    """The link to choose a new password, its token made now: nothing secret is stored."""
    person = message.recipient
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
            "token": default_token_generator.make_token(person),
        },
    )
    return notifications.compose(
        message,
        template="emails/password_reset",
        context={
            "reset_url": f"{settings.SITE_URL}{path}",
            "valid_days": round(settings.PASSWORD_RESET_TIMEOUT / 86400),
        },
        subject="Reset your Servicedesk password",
    )
