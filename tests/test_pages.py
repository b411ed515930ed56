"""Pages that are not a domain of their own: home, health, dashboards, dev mail, API."""

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory
from tickets import notifications, services


def test_home_sends_each_role_to_its_place(client_as, requester, agent):
    assert client_as(requester).get("/")["Location"] == reverse("portal:home")
    assert client_as(agent).get("/")["Location"] == reverse("workspace:queue")


def test_health_check(client, db):
    assert client.get("/healthz/").json() == {"status": "ok"}


def test_security_headers(client, db):
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"


def test_post_without_csrf_token_is_refused(requester, service):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    assert client.post(reverse("portal:ticket-create"), {}).status_code == 403


def test_dashboard_is_for_managers(client_as, manager, agent, requester, ticket):
    assert client_as(agent).get(reverse("dashboards:overview")).status_code == 404
    assert client_as(requester).get(reverse("dashboards:overview")).status_code == 404
    page = client_as(manager).get(reverse("dashboards:overview")).content.decode()
    assert "Service Desk" in page


def test_dev_mail_page_lists_sent_mail_with_clickable_links(
    client_as, requester, service, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    ticket = services.create_ticket(
        requester=requester,
        by=requester,
        service=service,
        subject="VPN",
        description="d",
    )
    notifications.sweep(now=timezone.now())
    client = client_as(requester)
    listing = client.get(reverse("devmail:list")).content.decode()
    assert "We received your ticket" in listing
    name = next((tmp_path / "mail").glob("*.log")).stem
    detail = client.get(reverse("devmail:detail", args=[name, 0])).content.decode()
    assert f'<a href="http://servicedesk.test/portal/tickets/{ticket.pk}/"' in detail
    html = client.get(reverse("devmail:html", args=[name, 0]))
    assert ticket.number in html.content.decode()
    assert "sandbox" in html["Content-Security-Policy"]
    assert mail.outbox == []


def test_api_lists_only_visible_tickets(client_as, requester, other_requester, ticket):
    TicketFactory.create(requester=other_requester)
    data = client_as(requester).get("/api/tickets/").json()
    assert [t["number"] for t in data["results"]] == [ticket.number]
    assert client_as(other_requester).get(f"/api/tickets/{ticket.pk}/").status_code == 404


def test_api_creates_a_ticket_and_explains_bad_input(client_as, requester, service):
    client = client_as(requester)
    response = client.post(
        "/api/tickets/",
        {
            "service": service.pk,
            "subject": "VPN",
            "description": "d",
            "urgency": "high",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["priority"] == 3
    response = client.post(
        "/api/tickets/",
        {"service": service.pk, "subject": "", "description": "d"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "subject" in response.json()


def test_api_requires_login(client, db):
    assert client.get("/api/tickets/").status_code == 403


def test_the_api_schema_needs_a_signed_in_user(client, client_as, requester):
    """The schema maps every endpoint and field: no map for someone who has not signed in."""
    assert client.get(reverse("api-schema")).status_code == 403
    response = client_as(requester).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    assert "/api/tickets/" in response.json()["paths"]


def test_every_form_post_needs_the_csrf_token(requester, agent, ticket):
    from django.test import Client

    requester_posts = [
        reverse("portal:ticket-create"),
        reverse("portal:ticket-reply", args=[ticket.pk]),
        reverse("portal:ticket-confirm", args=[ticket.pk]),
        reverse("portal:ticket-reopen", args=[ticket.pk]),
        reverse("portal:ticket-cancel", args=[ticket.pk]),
        reverse("accounts:profile"),
        reverse("accounts:logout"),
    ]
    agent_posts = [
        reverse(f"workspace:ticket-{action}", args=[ticket.pk])
        for action in ("take", "assign", "status", "update", "comment")
    ]
    for user, urls in ((requester, requester_posts), (agent, agent_posts)):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        for url in urls:
            assert client.post(url, {"body": "x"}).status_code == 403, url
    ticket.refresh_from_db()
    assert ticket.assignee is None and not ticket.comments.exists()
