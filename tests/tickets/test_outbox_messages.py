"""Messages that are not about a ticket event: queued under a key, rendered by their kind."""

from unittest import mock

import pytest
from django.core import mail
from django.db import transaction

from tickets import notifications, tasks
from tickets.models import OutboxMessage

KIND = "test_greeting"


@pytest.fixture
def greeting_renderer():
    """A renderer registered for the test's kind, as an app's `renderers` module would."""

    @notifications.renders(KIND)
    def render(message: OutboxMessage):
        email = mail.EmailMultiAlternatives(
            subject=f"Hello {message.payload['name']}", body="Hi", to=[message.recipient.email]
        )
        email.extra_headers.update(notifications.thread_headers(message))
        return email

    yield render
    del notifications.RENDERERS[KIND]


def test_a_keyed_message_is_queued_once_and_sent_once(requester, greeting_renderer):
    first = notifications.enqueue(requester, kind=KIND, key="greeting:1", payload={"name": "E"})
    again = notifications.enqueue(requester, kind=KIND, key="greeting:1", payload={"name": "X"})
    assert first is not None and again == first
    assert OutboxMessage.objects.count() == 1
    assert tasks.deliver_message(first.pk) is True
    assert tasks.deliver_message(first.pk) is False
    assert [m.subject for m in mail.outbox] == ["Hello E"]
    assert mail.outbox[0].extra_headers == {"Message-ID": f"<outbox-{first.pk}@servicedesk.test>"}


def test_the_nudge_names_the_row_after_commit(
    requester, greeting_renderer, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.deliver_message, "apply_async") as apply_async,
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = notifications.enqueue(requester, kind=KIND, payload={"name": "E"})
    assert message is not None
    apply_async.assert_called_once_with((message.pk,), retry=False)


def test_a_rolled_back_transaction_queues_nothing(requester, greeting_renderer):
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.enqueue(requester, kind=KIND, key="greeting:2", payload={"name": "E"})
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()


def test_the_sweep_sends_what_the_nudge_missed(requester, greeting_renderer):
    notifications.enqueue(requester, kind=KIND, payload={"name": "E"})
    assert tasks.sweep_outbox() == 1
    assert len(mail.outbox) == 1


def test_an_unknown_kind_is_refused_when_queued_not_when_sent(requester):
    with pytest.raises(ValueError, match="No renderer"):
        notifications.enqueue(requester, kind="no_such_kind")


def test_inactive_people_get_nothing(requester, greeting_renderer):
    requester.is_active = False
    requester.save()
    assert notifications.enqueue(requester, kind=KIND, payload={"name": "E"}) is None
    assert not OutboxMessage.objects.exists()
