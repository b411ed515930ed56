"""What each email says, to whom it goes, and how one ticket's emails thread together.

Messages go through the real outbox (services write rows, the sweep delivers them) and, where
the headers matter, a real SMTP server, so the tests read what a mail client would receive.
"""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.utils import timezone

from accounts.models import NotificationKind
from tests.factories import TicketFactory
from tickets import notifications, services
from tickets.models import Comment, OutboxMessage, Ticket, TicketEvent

Status = Ticket.Status
# The kinds a ticket event sends; the others (a survey invitation) have their app's renderer
# and are tested there.
EVENT_KINDS = [kind for kind in NotificationKind.values if kind not in notifications.RENDERERS]


def deliver_all() -> None:
    notifications.sweep(now=timezone.now())


def sent_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def kinds_for(ticket: Ticket, address: str) -> list[str]:
    return list(
        OutboxMessage.objects.filter(ticket=ticket, recipient__email=address)
        .order_by("pk")
        .values_list("kind", flat=True)
    )


def render_kind(kind: str, ticket: Ticket, recipient, actor, body: str):
    event = TicketEvent.objects.create(ticket=ticket, actor=actor, kind=TicketEvent.Kind.UPDATED)
    comment = Comment.objects.create(ticket=ticket, author=actor, body=body)
    message = OutboxMessage.objects.create(
        kind=kind, recipient=recipient, event=event, ticket=ticket, comment=comment
    )
    return notifications.render(message)


# --- One subject format, one template language -----------------------------------------


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_subject_is_the_reference_what_happened_and_the_ticket_subject(kind, ticket, agent):
    email = render_kind(kind, ticket, ticket.requester, agent, "We changed the setting.")
    what = re.fullmatch(
        rf"\[{re.escape(ticket.number)}\] (.+): {re.escape(ticket.subject)}", email.subject
    )
    assert what is not None, email.subject
    assert what.group(1).strip() == what.group(1) and ticket.number not in what.group(1)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_every_message_is_a_jinja2_template_with_text_and_html(kind):
    for part in ("subject.txt", "txt", "html"):
        assert get_template(f"emails/{kind}.{part}", using="jinja2")


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_html_part_escapes_what_people_wrote_and_text_part_keeps_it(
    kind, requester, agent, service
):
    ticket = TicketFactory.create(
        requester=requester, service=service, subject="Can't <connect> & co"
    )
    body = '<script>alert(1)</script><img src="http://tracker.example/p.gif">'
    email = render_kind(kind, ticket, requester, agent, body)
    html = email.alternatives[0].content
    assert "<script" not in html
    assert "<img" not in html
    assert "Can&#39;t &lt;connect&gt; &amp; co" in html
    assert email.subject.endswith(": Can't <connect> & co")
    assert "Can't <connect> & co" in email.body
    assert "&lt;" not in email.body and "&amp;" not in email.body


def test_subject_carries_what_happened_for_a_team_notice(agent, service, requester):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    message = OutboxMessage.objects.get(ticket=ticket, kind=NotificationKind.TICKET_IN_QUEUE)
    assert (
        notifications.render(message).subject
        == f"[{ticket.number}] New P5 Planning ticket in Service Desk: VPN drops"
    )


# --- Threading ----------------------------------------------------------------------------


def test_one_tickets_messages_to_a_person_thread_as_one_conversation(
    requester, agent, service, smtp_sink
):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    deliver_all()
    services.take_ticket(ticket, by=agent)
    services.add_comment(ticket, body="Which client version?", by=agent)
    deliver_all()
    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    deliver_all()

    ella = [m for m in smtp_sink.messages if m["To"] == "ella@example.com"]
    assert len(ella) == 3
    root = f"<ticket-{ticket.pk}@servicedesk.test>"
    first, reply, resolved = ella
    rows = OutboxMessage.objects.filter(recipient=requester).order_by("pk")
    assert [m["Message-ID"] for m in ella] == [
        f"<outbox-{row.pk}@servicedesk.test>" for row in rows
    ]
    assert (first["References"], first["In-Reply-To"]) == (root, None)
    assert reply["In-Reply-To"] == first["Message-ID"]
    assert reply["References"] == f"{root} {first['Message-ID']}"
    assert resolved["In-Reply-To"] == reply["Message-ID"]
    assert resolved["References"] == f"{root} {reply['Message-ID']}"
    assert len({m["Message-ID"] for m in smtp_sink.messages}) == len(smtp_sink.messages)


def test_every_person_s_messages_refer_to_the_tickets_root(requester, agent, second_agent, service):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    deliver_all()
    services.add_comment(ticket, body="Still broken", by=requester)
    services.add_comment(ticket, body="Which version?", by=agent)
    deliver_all()
    root = f"<ticket-{ticket.pk}@servicedesk.test>"
    for address in ("ella@example.com", "sam@example.com", "chloe@example.com"):
        first, later = (m.extra_headers for m in sent_to(address))
        assert first["References"] == root
        assert later["References"] == f"{root} {first['Message-ID']}"
        assert later["In-Reply-To"] == first["Message-ID"]


def test_thread_ids_take_their_domain_from_the_site_url(requester, service, settings):
    settings.SITE_URL = "https://help.example.org/desk"
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    services.add_comment(ticket, body="More detail", by=requester)
    services.add_comment(ticket, body="Hello?", by=requester)
    deliver_all()
    headers = [m.extra_headers for m in mail.outbox]
    assert all(h["Message-ID"].endswith("@help.example.org>") for h in headers)
    assert all(
        h["References"].startswith(f"<ticket-{ticket.pk}@help.example.org>") for h in headers
    )
    assert "@servicedesk>" not in str(headers)


# --- Who hears about what -------------------------------------------------------------------


def test_requester_reply_on_unassigned_ticket_reaches_the_team(
    requester, agent, second_agent, service
):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    deliver_all()
    mail.outbox.clear()
    services.add_comment(ticket, body="It drops at 10:00 every day.", by=requester)
    deliver_all()
    assert sorted(m.to[0] for m in mail.outbox) == ["chloe@example.com", "sam@example.com"]
    assert all("It drops at 10:00 every day." in m.body for m in mail.outbox)
    assert all("/workspace/tickets/" in m.body for m in mail.outbox)


def test_requester_reply_on_assigned_ticket_reaches_only_the_assignee(
    requester, agent, second_agent, service
):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    services.take_ticket(ticket, by=agent)
    deliver_all()
    mail.outbox.clear()
    services.add_comment(ticket, body="It drops at 10:00.", by=requester)
    deliver_all()
    assert [m.to[0] for m in mail.outbox] == ["sam@example.com"]


def test_waiting_on_requester_tells_them_what_is_needed(requester, agent, service):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    deliver_all()
    mail.outbox.clear()
    services.change_status(
        ticket,
        status=Status.PENDING,
        question="Which VPN client version do you run?",
        by=agent,
        version=None,
    )
    deliver_all()
    (email,) = sent_to("ella@example.com")
    assert email.subject.startswith(f"[{ticket.number}] ")
    assert "Which VPN client version do you run?" in email.body
    assert "Which VPN client version do you run?" in email.alternatives[0].content
    assert f"/portal/tickets/{ticket.pk}/" in email.body
    # The question is in the conversation too, so the portal shows what to answer.
    comment = Comment.objects.get(ticket=ticket)
    assert (comment.body, comment.author, comment.is_internal) == (
        "Which VPN client version do you run?",
        agent,
        False,
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING


def test_waiting_on_requester_needs_the_question(requester, agent, service):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    with pytest.raises(ValidationError) as error:
        services.change_status(ticket, status=Status.PENDING, question="  ", by=agent, version=None)
    assert "question" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    assert not Comment.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("assigned", [True, False])
def test_reopen_message_carries_the_requesters_reason(
    requester, agent, second_agent, service, assigned
):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    if assigned:
        services.take_ticket(ticket, by=agent)
    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    deliver_all()
    mail.outbox.clear()
    services.reopen_ticket(ticket, reason="It dropped again this morning.", by=requester)
    deliver_all()
    expected = ["sam@example.com"] if assigned else ["chloe@example.com", "sam@example.com"]
    assert sorted(m.to[0] for m in mail.outbox) == expected
    for email in mail.outbox:
        assert isinstance(email, EmailMultiAlternatives)
        assert "It dropped again this morning." in email.body
        html, _ = email.alternatives[0]
        assert "It dropped again this morning." in str(html)
    assert {kinds_for(ticket, address)[-1] for address in expected} == {
        NotificationKind.TICKET_REOPENED
    }


@pytest.mark.parametrize("assigned", [True, False])
def test_withdrawal_tells_whoever_works_the_ticket(
    requester, agent, second_agent, service, assigned
):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    if assigned:
        services.take_ticket(ticket, by=agent)
    deliver_all()
    mail.outbox.clear()
    services.cancel_ticket(ticket, by=requester)
    deliver_all()
    expected = ["sam@example.com"] if assigned else ["chloe@example.com", "sam@example.com"]
    assert sorted(m.to[0] for m in mail.outbox) == expected
    for email in mail.outbox:
        assert "withdr" in email.subject.lower()
        assert "Ella Morgan" in email.body
        assert f"/workspace/tickets/{ticket.pk}/" in email.body
    assert sent_to("ella@example.com") == []


# --- Links ----------------------------------------------------------------------------------


def test_the_domain_model_reverses_no_audience_urls():
    assert not hasattr(Ticket, "get_absolute_url")
    assert not hasattr(Ticket, "get_workspace_url")


def test_staff_get_workspace_links_and_requesters_portal_links(requester, agent, service):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    deliver_all()
    (receipt,) = sent_to("ella@example.com")
    (notice,) = sent_to("sam@example.com")
    assert f"http://servicedesk.test/portal/tickets/{ticket.pk}/" in receipt.body
    assert f'href="http://servicedesk.test/portal/tickets/{ticket.pk}/"' in (
        receipt.alternatives[0].content
    )
    assert f"http://servicedesk.test/workspace/tickets/{ticket.pk}/" in notice.body


def test_a_question_with_another_move_is_refused_not_dropped(requester, agent, service):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="VPN drops", description="d"
    )
    with pytest.raises(ValidationError) as error:
        services.change_status(
            ticket, status=Status.RESOLVED, question="Does it work?", by=agent, version=None
        )
    assert "question" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
