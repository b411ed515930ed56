"""The admin never writes what only the services may: tickets, comments, the audit trail, the outbox."""

import pytest
from django.urls import reverse

from tests.factories import CommentFactory
from tickets import services
from tickets.models import Comment, OutboxMessage, Ticket, TicketEvent


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory.create(email="root@example.com", is_superuser=True)


@pytest.fixture
def event_and_message(ticket, agent, django_capture_on_commit_callbacks):
    services.add_comment(ticket, body="Try signing out and in again.", by=agent)
    event = TicketEvent.objects.filter(ticket=ticket).first()
    message = OutboxMessage.objects.filter(ticket=ticket).first()
    assert event is not None and message is not None
    return event, message


@pytest.mark.parametrize("model", [TicketEvent, OutboxMessage])
def test_audit_trail_and_outbox_can_be_viewed_but_not_added_changed_or_deleted(
    model, client_as, superuser, event_and_message
):
    row = event_and_message[0] if model is TicketEvent else event_and_message[1]
    name = f"admin:tickets_{model._meta.model_name}"
    client = client_as(superuser)
    before = list(model.objects.values())
    assert client.get(reverse(f"{name}_changelist")).status_code == 200
    page = client.get(reverse(f"{name}_change", args=[row.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.get(reverse(f"{name}_add")).status_code == 403
    assert client.post(reverse(f"{name}_add"), {"kind": "x"}).status_code == 403
    assert client.post(reverse(f"{name}_change", args=[row.pk]), {"kind": "x"}).status_code == 403
    assert client.get(reverse(f"{name}_delete", args=[row.pk])).status_code == 403
    assert client.post(reverse(f"{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    client.post(
        reverse(f"{name}_changelist"),
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert list(model.objects.values()) == before


@pytest.mark.parametrize("model", [Ticket, Comment])
def test_tickets_and_comments_are_read_only_in_the_admin(
    model, client_as, superuser, ticket, agent
):
    row = ticket if model is Ticket else CommentFactory.create(ticket=ticket, author=agent)
    name = f"admin:tickets_{model._meta.model_name}"
    client = client_as(superuser)
    before = list(model.objects.values())
    assert client.get(reverse(f"{name}_add")).status_code == 403
    assert (
        client.post(reverse(f"{name}_add"), {"subject": "Behind the services' back"}).status_code
        == 403
    )
    page = client.get(reverse(f"{name}_change", args=[row.pk]))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert (
        client.post(reverse(f"{name}_change", args=[row.pk]), {"subject": "Edited"}).status_code
        == 403
    )
    assert client.post(reverse(f"{name}_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert list(model.objects.values()) == before


def test_the_ticket_page_in_the_admin_points_to_the_workspace(client_as, superuser, ticket):
    page = client_as(superuser).get(reverse("admin:tickets_ticket_change", args=[ticket.pk]))
    body = page.content.decode()
    assert reverse("workspace:ticket-detail", args=[ticket.pk]) in body
    assert "change only in the workspace" in body
