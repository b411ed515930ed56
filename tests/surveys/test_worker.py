"""Surveys on real parts: Postgres, Redis, a Celery worker process and an SMTP server."""

import pytest

from surveys import tasks
from surveys.models import Invitation, SurveyRule
from tests.tickets.test_worker import wait_for, worker  # noqa: F401 - the worker fixture
from tickets import services as ticket_services
from tickets import tasks as ticket_tasks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs("postgres", "redis")]


def survey_emails(sink) -> list:
    return [m for m in sink.messages if "Tell us how we did:" in m["Subject"]]


def test_a_resolved_ticket_brings_one_invitation_to_the_inbox(
    default_rule,
    requester,
    agent,
    service,
    worker,  # noqa: F811
):
    SurveyRule.objects.filter(pk=default_rule.pk).update(delay_minutes=0)
    ticket = ticket_services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    ticket_services.change_status(ticket, status="resolved", by=agent, version=None)
    # What beat sends every minute, sent by name as beat does; twice, as two beat cycles would.
    assert worker.result_of(tasks.invite_due.delay().id) == "1"
    assert wait_for(lambda: len(survey_emails(worker)) == 1), worker.output()
    assert worker.result_of(tasks.invite_due.delay().id) == "0"
    assert worker.result_of(ticket_tasks.sweep_outbox.delay().id) == "0"
    assert worker.result_of(tasks.keep_invitations_current.delay().id).startswith("{'sent': 1")
    [email] = survey_emails(worker)
    assert email["To"] == requester.email
    assert email["Subject"] == f"[{ticket.number}] Tell us how we did: VPN drops"
    assert email["References"].startswith(f"<ticket-{ticket.pk}@servicedesk.test>")
    html = email.get_body(("html",)).get_content()
    invitation = Invitation.objects.get(ticket=ticket)
    assert invitation.status == "sent"
    assert f"http://servicedesk.test/portal/surveys/{invitation.pk}/" in html
    assert len(survey_emails(worker)) == 1
