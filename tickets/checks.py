"""System checks of the settings the outbox relies on (run by `manage.py check`, so by CI)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.utils.module_loading import import_string

# The waits on the server in one SMTP conversation, each bounded by EMAIL_TIMEOUT.
SMTP_WAITS = (
    "connect",
    "greeting",
    "EHLO",
    "STARTTLS",
    "TLS handshake",
    "EHLO again",
    "AUTH",
    "AUTH password",
    "MAIL FROM",
    "RCPT TO",
    "DATA",
    "reply to the message",
    "QUIT",
)
# What a delivery does around its conversation, between the claim and marking the row sent:
# loading and rendering the message, a few queries.
MARGIN_SECONDS = 10


def longest_send_seconds() -> float | None:
    """The longest one message's SMTP conversation can take, or None if the backend is not SMTP."""
    from .smtp import EmailBackend as DeadlineBackend

    backend = import_string(settings.EMAIL_BACKEND)
    if not (isinstance(backend, type) and issubclass(backend, DjangoSMTPBackend)):
        return None
    every_wait = len(SMTP_WAITS) * settings.EMAIL_TIMEOUT
    if issubclass(backend, DeadlineBackend):
        return min(every_wait, settings.EMAIL_CONVERSATION_SECONDS)
    return every_wait


@register("outbox")
def check_email_timeouts(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """A delivery must end before its claim looks stale, or another worker sends it again."""
    from .notifications import STALE_CLAIM

    if not isinstance(settings.EMAIL_TIMEOUT, int | float) or settings.EMAIL_TIMEOUT <= 0:
        return [
            Error(
                f"EMAIL_TIMEOUT is {settings.EMAIL_TIMEOUT!r}; it must be a number of seconds.",
                id="tickets.E001",
            )
        ]
    longest = longest_send_seconds()
    window = STALE_CLAIM.total_seconds() - MARGIN_SECONDS
    if longest is None or longest <= window:
        return []
    return [
        Error(
            f"One message's SMTP conversation can take {longest:g} s "
            f"({len(SMTP_WAITS)} waits of EMAIL_TIMEOUT={settings.EMAIL_TIMEOUT} s, "
            f"EMAIL_CONVERSATION_SECONDS={settings.EMAIL_CONVERSATION_SECONDS} s), but an "
            f"outbox claim is released after {STALE_CLAIM.total_seconds():g} s: a slow send "
            "could be sent twice.",
            hint=f"Keep the conversation within {window:g} s: use tickets.smtp.EmailBackend "
            "and EMAIL_CONVERSATION_SECONDS, or a lower EMAIL_TIMEOUT.",
            id="tickets.E002",
        )
    ]
