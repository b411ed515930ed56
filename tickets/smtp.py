"""The SMTP backend of the outbox: one message's whole conversation has a deadline.

Django's backend bounds each wait on the server by EMAIL_TIMEOUT, not the conversation: with
a dozen waits (connect, greeting, EHLO, STARTTLS, the TLS handshake, EHLO again, AUTH, MAIL,
RCPT, DATA, the reply to the message, QUIT), a slow server could keep a delivery busy for
minutes, each reply just inside the timeout. A claim on an outbox row is released as stale
after `notifications.STALE_CLAIM`, and a delivery still running then could be sent twice. This
backend gives every wait only what is left of EMAIL_CONVERSATION_SECONDS (checked against
STALE_CLAIM by `tickets.checks`), and a server that took the message but is slow to say
goodbye has still taken it.
"""

from __future__ import annotations

import functools
import smtplib
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail.backends import smtp

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class ConversationTimeout(TimeoutError):
    """The whole conversation took longer than EMAIL_CONVERSATION_SECONDS."""


class DeadlineMixin:
    """smtplib's client, each wait bounded by the step timeout and what is left of a deadline."""

    timeout: float
    sock: Any

    def __init__(self, *args: Any, deadline: float, **kwargs: Any) -> None:
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def time_left(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self.timed_out()
        # Django passes EMAIL_TIMEOUT; smtplib's default, when none is given, is not a number.
        step = self.timeout if isinstance(self.timeout, int | float) else left
        return min(left, step)

    def timed_out(self) -> ConversationTimeout:
        return ConversationTimeout(
            f"the SMTP conversation took longer than {settings.EMAIL_CONVERSATION_SECONDS} s"
        )

    def _get_socket(self, host: str, port: int, timeout: float) -> Any:
        return super()._get_socket(host, port, self.time_left())  # type: ignore[misc]

    def send(self, s: ReadableBuffer | str) -> None:
        if self.sock:
            self.sock.settimeout(self.time_left())
        super().send(s)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        if self.sock:
            self.sock.settimeout(self.time_left())
        try:
            return super().getreply()  # type: ignore[misc]
        except smtplib.SMTPServerDisconnected as error:
            # smtplib reports a read that timed out as a disconnection; say which it was.
            if time.monotonic() >= self.deadline:
                raise self.timed_out() from error
            raise

    def quit(self) -> tuple[int, bytes]:
        """Say goodbye, at most within the deadline; the message was taken before this.

        Django's backend forgives a server that hangs up at QUIT, not the deadline running out
        there: that would fail the send, and the outbox would send again a message the server
        already accepted.
        """
        try:
            return super().quit()  # type: ignore[misc]
        except (OSError, smtplib.SMTPException):  # smtplib's errors are OSErrors too
            self.close()  # type: ignore[attr-defined]
            return (221, b"closed without a goodbye")


class DeadlineSMTP(DeadlineMixin, smtplib.SMTP):
    pass


class DeadlineSMTPSSL(DeadlineMixin, smtplib.SMTP_SSL):
    pass


class EmailBackend(smtp.EmailBackend):
    """Django's SMTP backend with a deadline on each connection's whole conversation.

    The outbox opens one connection per message, so the deadline is per message.
    """

    @property
    def connection_class(self) -> Any:
        deadline = time.monotonic() + settings.EMAIL_CONVERSATION_SECONDS
        return functools.partial(
            DeadlineSMTPSSL if self.use_ssl else DeadlineSMTP, deadline=deadline
        )
