"""Password reset: through the outbox, limited per address and per client, the same whatever the address."""

import re
import threading
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.cache import caches
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import password_reset, tasks
from accounts.models import NotificationPreference, PasswordResetCounter, User
from servicedesk.http import client_address
from tests.factories import UserFactory
from tickets import notifications
from tickets.models import OutboxMessage

RESET = reverse("accounts:password_reset")
DONE = reverse("accounts:password_reset_done")


def ask(client: Client, email: str, *, ip: str = "203.0.113.7"):
    return client.post(RESET, {"email": email}, REMOTE_ADDR=ip)


def resets() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=password_reset.KIND).order_by("pk"))


def test_a_known_address_gets_one_outbox_row_and_nothing_is_sent_in_the_request(client, requester):
    response = ask(client, "Ella@Example.com ")
    assert (response.status_code, response["Location"]) == (302, DONE)
    assert mail.outbox == []
    [row] = resets()
    assert row.recipient == requester and row.status == OutboxMessage.Status.PENDING
    assert (row.key or "").startswith("password_reset:") and row.ticket_id is None
    # No secret is stored: the link's token is made when the worker renders the message.
    assert row.payload == {}


def test_every_address_gets_the_same_page(client, requester):
    UserFactory.create(email="gone@example.com", is_active=False)
    no_password = UserFactory.create(email="sso@example.com")
    no_password.set_unusable_password()
    no_password.save()
    answers = {
        email: (r.status_code, r["Location"])
        for email in [
            "ella@example.com",
            "nobody@example.com",
            "gone@example.com",
            "sso@example.com",
        ]
        for r in [ask(client, email)]
    }
    assert set(answers.values()) == {(302, DONE)}
    assert [row.recipient for row in resets()] == [requester]
    done = client.get(DONE).content.decode()
    assert "If an account uses that address" in done


def test_a_malformed_address_is_a_form_error(client, db):
    assert "Reset your password" in client.get(RESET).content.decode()
    response = ask(client, "not an address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not PasswordResetCounter.objects.exists()


class Recorder:
    """What one request asks of the database, the shared cache and the broker, values left out."""

    CACHE_METHODS = ("get", "set", "add", "incr", "delete", "get_many", "set_many", "touch")

    def __init__(self, monkeypatch):
        self.calls: list[tuple] = []
        cache = caches["default"]
        for name in self.CACHE_METHODS:
            real = getattr(cache, name)
            monkeypatch.setattr(cache, name, self.recording(name, real))

    def recording(self, name, real):
        def call(*args, **kwargs):
            self.calls.append(("cache", name, len(args), tuple(sorted(kwargs))))
            return real(*args, **kwargs)

        return call

    def sql(self, execute, sql, params, many, context):
        # Savepoint names are unique per call; the statement is what counts.
        self.calls.append(("sql", re.sub(r'"s\d+_x\d+"', '"savepoint"', sql), len(params or ())))
        return execute(sql, params, many, context)


def test_known_and_unknown_addresses_cost_the_same_queries(
    client, requester, monkeypatch, django_capture_on_commit_callbacks
):
    """Equal timing by construction: the same statements, cache calls and broker nudge."""
    work: dict[str, tuple] = {}
    for email in ["ella@example.com", "nobody@example.com"]:
        recorder = Recorder(monkeypatch)
        with (
            mock.patch.object(tasks.deliver_password_reset, "apply_async") as nudge,
            django_capture_on_commit_callbacks(execute=True),
            connection.execute_wrapper(recorder.sql),
        ):
            # From a client and for an address never seen before, each.
            assert ask(client, email, ip=f"198.51.100.{len(work) + 1}").status_code == 302
        [(args, kwargs)] = nudge.call_args_list
        work[email] = (recorder.calls, kwargs, re.sub(r"[0-9a-f]{32}", "KEY", args[0][0]))
        monkeypatch.undo()
    known, unknown = work["ella@example.com"], work["nobody@example.com"]
    assert known == unknown
    assert any(call[0] == "sql" and "INSERT INTO" in call[1] for call in known[0])
    assert len(resets()) == 1  # yet only the known address got a message


def test_an_address_gets_at_most_three_links_an_hour(client, requester):
    with time_machine.travel("2026-12-01 09:05:00+00:00", tick=False) as clock:
        for n in range(5):
            ask(client, "ella@example.com", ip=f"192.0.2.{n}")  # from five clients, too
        assert len(resets()) == 3
        clock.shift(timedelta(hours=1))
        ask(client, "ella@example.com")
        assert len(resets()) == 4


def test_a_client_gets_at_most_twenty_requests_an_hour_whatever_the_addresses(
    client, requester, other_requester
):
    for n in range(20):
        ask(client, f"someone{n}@example.com")
    ask(client, "ella@example.com")  # the 21st: refused, though Ella asked for nothing yet
    assert resets() == []
    ask(client, "ella@example.com", ip="203.0.113.99")  # another client is not affected
    assert [row.recipient for row in resets()] == [requester]


def test_the_limits_can_be_turned_off(client, requester, settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 0
    for _ in range(5):
        ask(client, "ella@example.com")
    assert len(resets()) == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_from_separate_connections_never_pass_the_limit_together(settings):
    """Each thread has its own database connection, as separate web processes have."""
    UserFactory.create(email="ella@example.com")
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 1
    now = timezone.now()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def one_request():
        try:
            start.wait()
            password_reset.request_reset("ella@example.com", client="203.0.113.1", now=now)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    with mock.patch.object(tasks.deliver_password_reset, "apply_async"):
        threads = [threading.Thread(target=one_request) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(resets()) == 1


def test_behind_the_load_balancer_the_client_is_the_address_it_appended(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5"
    )
    settings.BEHIND_PROXY = False
    assert client_address(request) == "10.0.0.2"  # a client's own header is not believed
    settings.BEHIND_PROXY = True
    assert client_address(request) == "203.0.113.5"  # "1.2.3.4" is what the client sent


def test_from_request_to_new_password_through_a_real_smtp_server(client, requester, smtp_sink):
    ask(client, "ella@example.com")
    [row] = resets()
    assert tasks.deliver_password_reset(row.key) is True
    [email] = smtp_sink.messages
    assert email["To"] == "ella@example.com"
    assert email["Subject"] == "Reset your Servicedesk password"
    text = email.get_body(("plain",)).get_content()
    link = re.search(r"http://servicedesk\.test(/accounts/reset/\S+/)", text)
    assert link and link.group(0) in email.get_body(("html",)).get_content()
    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "a-brand-new-long-password-2026"
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, follow=True
    )
    assert "Your password is changed" in done.content.decode()
    signed_in = client.post(
        reverse("accounts:login"), {"username": "ella@example.com", "password": new}
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("home")
    # The link works once.
    again = Client().get(link.group(1), follow=True)
    assert "This link has expired or was already used" in again.content.decode()


def test_the_nudge_for_an_unknown_address_sends_nothing(db):
    assert tasks.deliver_password_reset("password_reset:" + "0" * 32) is False


def test_the_sweep_sends_a_reset_whose_nudge_was_lost(client, requester):
    ask(client, "ella@example.com")
    assert notifications.sweep(now=timezone.now()) == 1
    [email] = mail.outbox
    assert "/accounts/reset/" in str(email.body)


def test_reset_emails_cannot_be_switched_off(client, requester):
    NotificationPreference.objects.create(user=requester, kind=password_reset.KIND, enabled=False)
    ask(client, "ella@example.com")
    assert notifications.sweep(now=timezone.now()) == 1
    assert len(mail.outbox) == 1


def test_a_person_deactivated_before_delivery_gets_nothing(client, requester):
    ask(client, "ella@example.com")
    User.objects.filter(pk=requester.pk).update(is_active=False)
    [row] = resets()
    assert tasks.deliver_password_reset(row.key) is False
    row.refresh_from_db()
    assert row.status == OutboxMessage.Status.SKIPPED and mail.outbox == []


def test_counters_of_past_hours_are_forgotten(client, db):
    with time_machine.travel("2026-12-01 09:05:00+00:00", tick=False) as clock:
        ask(client, "nobody@example.com")
        assert PasswordResetCounter.objects.count() == 2  # the client's and the address's
        clock.shift(timedelta(minutes=30))
        assert password_reset.forget_counters(now=timezone.now()) == 0
        clock.shift(timedelta(minutes=30))
        assert password_reset.forget_counters(now=timezone.now()) == 2
