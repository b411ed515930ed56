import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import NotificationKind
from tests.factories import ServiceFactory, TeamFactory, TicketFactory
from tickets import services
from tickets.models import Comment, Level, OutboxMessage, Priority, Ticket, TicketEvent
from tickets.services import ConflictError

Status = Ticket.Status


def kinds_for(ticket: Ticket) -> list[tuple[str, str]]:
    return sorted(
        OutboxMessage.objects.filter(ticket=ticket).values_list("kind", "recipient__email")
    )


def test_create_ticket_sets_priority_team_event_and_notifications(requester, service, agent):
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="  VPN drops  ",
        description="Every 5 minutes.",
        impact=Level.HIGH,
        urgency=Level.MEDIUM,
    )
    assert ticket.subject == "VPN drops"
    assert ticket.priority == Priority.P2
    assert ticket.team == service.owner_team
    assert ticket.status == Status.NEW
    assert ticket.number == f"INC-{ticket.pk:06d}"
    assert list(ticket.events.values_list("kind", flat=True)) == [TicketEvent.Kind.CREATED]
    assert kinds_for(ticket) == [
        (NotificationKind.TICKET_IN_QUEUE, agent.email),
        (NotificationKind.TICKET_RECEIVED, requester.email),
    ]


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("high", "high", 1),
        ("high", "medium", 2),
        ("medium", "high", 2),
        ("high", "low", 3),
        ("medium", "medium", 3),
        ("low", "high", 3),
        ("medium", "low", 4),
        ("low", "medium", 4),
        ("low", "low", 5),
    ],
)
def test_priority_follows_the_itil_matrix(requester, service, impact, urgency, priority):
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="s",
        description="d",
        impact=impact,
        urgency=urgency,
    )
    assert ticket.priority == priority


def test_request_tickets_are_numbered_req(requester, service):
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="s",
        description="d",
        category=Ticket.Category.REQUEST,
    )
    assert ticket.number.startswith("REQ-")


@pytest.mark.parametrize(
    ("subject", "description", "field"),
    [("  ", "d", "subject"), ("s", "", "description")],
)
def test_create_ticket_rejects_blank_fields(requester, service, subject, description, field):
    with pytest.raises(ValidationError) as error:
        services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject=subject,
            description=description,
        )
    assert field in error.value.message_dict
    assert not Ticket.objects.exists()


def test_create_ticket_rejects_retired_service(requester):
    retired = ServiceFactory.create(is_active=False)
    with pytest.raises(ValidationError):
        services.create_ticket(
            requester=requester,
            by=requester,
            service=retired,
            subject="s",
            description="d",
        )


def test_end_user_cannot_log_a_ticket_for_someone_else(requester, other_requester, service):
    with pytest.raises(PermissionDenied):
        services.create_ticket(
            requester=other_requester,
            by=requester,
            service=service,
            subject="s",
            description="d",
        )


def test_repeated_submission_token_returns_the_first_ticket(requester, service):
    token = uuid.uuid4()
    first = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="s",
        description="d",
        submission_token=token,
    )
    second = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="s",
        description="d",
        submission_token=token,
    )
    assert first.pk == second.pk
    assert Ticket.objects.count() == 1
    assert OutboxMessage.objects.filter(kind=NotificationKind.TICKET_RECEIVED).count() == 1


def test_someone_elses_submission_token_creates_their_own_ticket(
    requester, other_requester, service
):
    token = uuid.uuid4()
    theirs = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="s",
        description="d",
        submission_token=token,
    )
    mine = services.create_ticket(
        requester=other_requester,
        by=other_requester,
        service=service,
        subject="mine",
        description="d",
        submission_token=token,
    )
    assert mine.pk != theirs.pk
    assert (mine.requester, mine.subject) == (other_requester, "mine")
    again = services.create_ticket(
        requester=other_requester,
        by=other_requester,
        service=service,
        subject="mine",
        description="d",
        submission_token=token,
    )
    assert again.pk == mine.pk
    assert Ticket.objects.count() == 2


def test_bad_attachment_rejects_the_whole_ticket(requester, service):
    upload = SimpleUploadedFile("setup.exe", b"MZ...")
    with pytest.raises(ValidationError, match="can't be attached"):
        services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject="s",
            description="d",
            files=[upload],
        )
    assert not Ticket.objects.exists()


def test_oversized_attachment_is_rejected(requester, service, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError, match="at most"):
        services.create_ticket(
            requester=requester,
            by=requester,
            service=service,
            subject="s",
            description="d",
            files=[SimpleUploadedFile("log.txt", b"x" * 11)],
        )


def test_attachments_get_generated_storage_names(requester, service):
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="s",
        description="d",
        files=[SimpleUploadedFile("../../etc/passwd.txt", b"hi")],
    )
    attachment = ticket.attachments.get()
    assert attachment.original_name == "passwd.txt"
    assert "passwd" not in attachment.file.name
    assert attachment.file.name.startswith("attachments/")


def test_agent_takes_unassigned_ticket(ticket, agent):
    services.take_ticket(ticket, by=agent)
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    assert ticket.status == Status.OPEN
    assert ticket.events.filter(kind=TicketEvent.Kind.TAKEN, actor=agent).exists()


def test_second_agent_taking_is_told_who_has_it(ticket, agent, second_agent):
    services.take_ticket(ticket, by=agent)
    stale = Ticket.objects.get(pk=ticket.pk)
    stale.assignee = None  # the page the second agent saw
    with pytest.raises(ConflictError, match="Sam Patel has already taken"):
        services.take_ticket(stale, by=second_agent)
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_taking_twice_is_harmless(ticket, agent):
    services.take_ticket(ticket, by=agent)
    services.take_ticket(ticket, by=agent)
    assert ticket.events.filter(kind=TicketEvent.Kind.TAKEN).count() == 1


def test_agent_of_another_team_cannot_take(ticket, other_agent):
    with pytest.raises(PermissionDenied):
        services.take_ticket(ticket, by=other_agent)


def test_end_user_cannot_take(ticket, requester):
    with pytest.raises(PermissionDenied):
        services.take_ticket(ticket, by=requester)


def test_assign_to_team_member_notifies_them(ticket, agent, second_agent):
    services.assign_ticket(ticket, agent=second_agent, by=agent, version=ticket.version)
    ticket.refresh_from_db()
    assert ticket.assignee == second_agent
    assert ticket.version == 2
    assert (NotificationKind.TICKET_ASSIGNED, second_agent.email) in kinds_for(ticket)


def test_assign_to_someone_outside_the_team_is_refused(ticket, agent, other_agent):
    with pytest.raises(ValidationError, match="not a member"):
        services.assign_ticket(ticket, agent=other_agent, by=agent, version=ticket.version)


def test_stale_version_is_a_conflict_not_a_lost_update(ticket, agent, second_agent):
    seen = ticket.version
    services.update_ticket(ticket, priority=Priority.P1, by=agent, version=seen)
    with pytest.raises(ConflictError, match="changed by someone else"):
        services.assign_ticket(ticket, agent=second_agent, by=second_agent, version=seen)
    ticket.refresh_from_db()
    assert ticket.priority == Priority.P1
    assert ticket.assignee is None


def test_first_public_agent_reply_records_first_response_and_opens(ticket, agent, requester):
    comment = services.add_comment(ticket, body="Looking into it.", by=agent)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == comment.created_at
    assert ticket.status == Status.OPEN
    assert (NotificationKind.PUBLIC_REPLY, requester.email) in kinds_for(ticket)


def test_internal_note_does_not_count_as_response_nor_notify(ticket, agent):
    services.add_comment(ticket, body="Check the switch.", internal=True, by=agent)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert not OutboxMessage.objects.filter(kind=NotificationKind.PUBLIC_REPLY).exists()
    assert ticket.events.filter(kind=TicketEvent.Kind.NOTE_ADDED).exists()


def test_requester_cannot_add_internal_notes(ticket, requester):
    with pytest.raises(PermissionDenied):
        services.add_comment(ticket, body="x", internal=True, by=requester)


def test_other_requester_cannot_reply(ticket, other_requester):
    with pytest.raises(PermissionDenied):
        services.add_comment(ticket, body="x", by=other_requester)


def test_requester_reply_puts_pending_ticket_back_in_progress(ticket, agent, requester):
    services.take_ticket(ticket, by=agent)
    services.change_status(
        ticket, status=Status.PENDING, question="Which laptop do you use?", by=agent, version=None
    )
    services.add_comment(ticket, body="Here is the screenshot.", by=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert (NotificationKind.PUBLIC_REPLY, agent.email) in kinds_for(ticket)


def test_blank_reply_is_refused(ticket, requester):
    with pytest.raises(ValidationError):
        services.add_comment(ticket, body="   ", by=requester)
    assert not Comment.objects.exists()


def test_resolve_notifies_requester_and_confirm_closes(ticket, agent, requester):
    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=ticket.version)
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    assert (NotificationKind.TICKET_RESOLVED, requester.email) in kinds_for(ticket)
    services.confirm_resolution(ticket, by=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.closed_at is not None


def test_requester_reopens_with_reason_and_assignee_is_told(ticket, agent, requester):
    services.take_ticket(ticket, by=agent)
    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    services.reopen_ticket(ticket, reason="Still asks for the password.", by=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.resolved_at is None
    assert ticket.comments.filter(author=requester, body="Still asks for the password.").exists()
    assert (NotificationKind.TICKET_REOPENED, agent.email) in kinds_for(ticket)


def test_reopen_needs_a_reason(ticket, agent, requester):
    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    with pytest.raises(ValidationError):
        services.reopen_ticket(ticket, reason=" ", by=requester)


def test_only_resolved_tickets_can_be_confirmed_or_reopened(ticket, requester):
    with pytest.raises(ValidationError):
        services.confirm_resolution(ticket, by=requester)
    with pytest.raises(ValidationError):
        services.reopen_ticket(ticket, reason="x", by=requester)


def test_other_requester_cannot_confirm(ticket, agent, other_requester):
    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    with pytest.raises(PermissionDenied):
        services.confirm_resolution(ticket, by=other_requester)


def test_requester_withdraws_open_ticket(ticket, requester):
    services.cancel_ticket(ticket, by=requester)
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    with pytest.raises(ValidationError):
        services.add_comment(ticket, body="x", by=requester)


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (Status.NEW, Status.PENDING, True),
        (Status.OPEN, Status.RESOLVED, True),
        (Status.PENDING, Status.OPEN, True),
        (Status.RESOLVED, Status.CLOSED, True),
        (Status.RESOLVED, Status.OPEN, True),
        (Status.CLOSED, Status.OPEN, False),
        (Status.CANCELLED, Status.OPEN, False),
        (Status.RESOLVED, Status.PENDING, False),
        (Status.OPEN, Status.NEW, False),
    ],
)
def test_agent_status_transitions(ticket, agent, start, target, allowed):
    Ticket.objects.filter(pk=ticket.pk).update(status=start)
    ticket.refresh_from_db()
    question = "Which laptop do you use?" if target == Status.PENDING else ""
    if allowed:
        services.change_status(
            ticket, status=target, question=question, by=agent, version=ticket.version
        )
        assert Ticket.objects.get(pk=ticket.pk).status == target
        event = ticket.events.get(kind=TicketEvent.Kind.STATUS_CHANGED)
        assert (event.before, event.after["status"]) == ({"status": start}, target)
    else:
        with pytest.raises(ValidationError):
            services.change_status(
                ticket, status=target, question=question, by=agent, version=ticket.version
            )
        assert Ticket.objects.get(pk=ticket.pk).status == start


def test_moving_to_another_team_unassigns_and_tells_the_new_team(ticket, agent, other_agent):
    services.take_ticket(ticket, by=agent)
    network = other_agent.teams.get()
    services.update_ticket(ticket, team=network, by=agent, version=None)
    ticket.refresh_from_db()
    assert ticket.team == network
    assert ticket.assignee is None
    assert (NotificationKind.TICKET_IN_QUEUE, other_agent.email) in kinds_for(ticket)
    event = ticket.events.get(kind=TicketEvent.Kind.UPDATED)
    assert event.after == {"team": "Network", "assignee": None}


def test_update_without_changes_writes_nothing(ticket, agent):
    services.update_ticket(ticket, priority=ticket.priority, by=agent, version=ticket.version)
    assert not ticket.events.filter(kind=TicketEvent.Kind.UPDATED).exists()


def test_opted_out_person_gets_no_outbox_row(requester, service):
    from accounts.services import set_notification_preferences

    set_notification_preferences(requester, enabled=[], by=requester)
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="s", description="d"
    )
    assert not OutboxMessage.objects.filter(ticket=ticket, recipient=requester).exists()


def test_visible_to_scopes_tickets_per_role(
    ticket, requester, other_requester, agent, other_agent, manager, admin_user
):
    elsewhere = TicketFactory.create(service=ServiceFactory.create(owner_team=TeamFactory.create()))
    visible = {
        user: set(Ticket.objects.visible_to(user))
        for user in (requester, other_requester, agent, other_agent, manager, admin_user)
    }
    assert visible[requester] == {ticket}
    assert visible[other_requester] == set()
    assert visible[agent] == {ticket}
    assert visible[other_agent] == set()
    assert visible[manager] == {ticket}
    assert visible[admin_user] == {ticket, elsewhere}


def test_a_tickets_comments_files_and_events_follow_its_visibility(
    ticket, requester, other_requester, agent, other_agent, manager, admin_user
):
    """Each model's `visible_to` reaches its rows through the ticket, for every role."""
    from django.contrib.auth.models import AnonymousUser

    from tickets.models import Attachment

    upload = SimpleUploadedFile("log.txt", b"log", content_type="text/plain")
    services.add_comment(ticket, body="public", files=[upload], by=agent)
    elsewhere = TicketFactory.create(service=ServiceFactory.create(owner_team=TeamFactory.create()))
    services.add_comment(elsewhere, body="elsewhere", by=admin_user)

    def seen(user):
        return (
            set(Comment.objects.visible_to(user).values_list("ticket_id", flat=True)),
            set(Attachment.objects.visible_to(user).values_list("ticket_id", flat=True)),
            set(TicketEvent.objects.visible_to(user).values_list("ticket_id", flat=True)),
        )

    assert seen(requester) == ({ticket.pk}, {ticket.pk}, set())  # no audit trail for end users
    for user in (agent, manager):
        assert seen(user) == ({ticket.pk}, {ticket.pk}, {ticket.pk})
    assert seen(admin_user) == ({ticket.pk, elsewhere.pk}, {ticket.pk}, {ticket.pk, elsewhere.pk})
    for user in (other_requester, other_agent, AnonymousUser()):
        assert seen(user) == (set(), set(), set())
    agent.is_active = False
    assert seen(agent) == (set(), set(), set())


def test_comments_visible_to_end_users_exclude_internal_notes(ticket, agent, requester):
    services.add_comment(ticket, body="public", by=agent)
    services.add_comment(ticket, body="secret", internal=True, by=agent)
    assert list(Comment.objects.visible_to(requester).values_list("body", flat=True)) == ["public"]
    assert Comment.objects.visible_to(agent).count() == 2


def test_resolved_tickets_close_after_the_grace_period(ticket, agent):
    from datetime import timedelta

    from django.utils import timezone

    services.change_status(ticket, status=Status.RESOLVED, by=agent, version=None)
    ticket.refresh_from_db()
    early = ticket.resolved_at + timedelta(days=4)
    assert services.close_resolved_tickets(now=early, after=timedelta(days=5)) == 0
    late = ticket.resolved_at + timedelta(days=5, minutes=1)
    assert services.close_resolved_tickets(now=late, after=timedelta(days=5)) == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == (Status.CLOSED, late)
    event = ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED).last()
    assert (event.actor, event.after) == (None, {"status": "closed"})
    # Running again finds nothing more to do.
    assert (
        services.close_resolved_tickets(
            now=timezone.now() + timedelta(days=30), after=timedelta(days=5)
        )
        == 0
    )
