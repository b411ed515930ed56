"""Dense fragments rendered by Jinja2 inside Django pages: same output, same escaping."""

import re
from datetime import UTC, datetime

from django.urls import reverse
from django.utils import dateformat, timezone
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.jinja2 import date
from tests.factories import portal_url, workspace_url
from tickets import services

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    moment=moments,
    format_string=st.sampled_from(
        ["c", "j M Y, H:i", "j M Y", "H:i", "D j N Y", "l j F, H:i", r"j \M Y"]
    ),
)
def test_date_filter_writes_what_djangos_writes(moment: datetime, format_string: str) -> None:
    expected = dateformat.format(timezone.localtime(moment), format_string)
    assert date(moment, format_string) == expected


def test_queue_rows_escape_what_people_typed(client_as, agent, ticket):
    ticket.subject = "<script>alert(1)</script> printer"
    ticket.save(update_fields=["subject"])
    page = client_as(agent).get(reverse("workspace:queue"), {"queue": "all"}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; printer" in page


def test_thread_escapes_what_people_typed(client_as, agent, requester, ticket):
    services.add_comment(ticket, body="<img src=x onerror=alert(1)> still broken", by=requester)
    for person, url in (
        (agent, workspace_url(ticket)),
        (requester, portal_url(ticket)),
    ):
        page = client_as(person).get(url).content.decode()
        assert "<img src=x" not in page
        assert "&lt;img src=x onerror=alert(1)&gt; still broken" in page


def test_form_widgets_render_the_same_through_jinja2(client_as, requester, settings):
    """Widgets render through Django's Jinja2 widget templates: the same HTML, faster."""
    url = reverse("portal:ticket-create")
    fast = client_as(requester).get(url).content.decode()
    settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
    plain = client_as(requester).get(url).content.decode()
    uuid = r'value="[0-9a-f-]{36}"'
    token = r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"'
    assert re.sub(token, "", re.sub(uuid, "", fast)) == re.sub(token, "", re.sub(uuid, "", plain))


def test_admin_widgets_still_render_through_django_templates(client_as, admin_user, ticket):
    client = client_as(admin_user)
    for url in (
        reverse("admin:tickets_slapolicy_add"),
        reverse("admin:tickets_businesscalendar_add"),
        reverse("admin:tickets_service_change", args=[ticket.service_id]),
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        assert (
            "related-widget-wrapper" in page.content.decode()
            or "vTimeField" in page.content.decode()
        )


def test_list_labels_are_the_choice_labels() -> None:
    from tickets.models import Priority, Ticket, TicketEvent

    for status in Ticket.Status.values:
        assert Ticket(status=status).status_label == Ticket(status=status).get_status_display()
    for priority in Priority.values:
        shown = Ticket(priority=priority)
        assert shown.priority_label == shown.get_priority_display()
    for kind in TicketEvent.Kind.values:
        assert TicketEvent(kind=kind).kind_label == TicketEvent(kind=kind).get_kind_display()


def test_history_shows_who_did_what(client_as, agent, requester, service):
    ticket = services.create_ticket(
        requester=requester, by=requester, service=service, subject="s", description="d"
    )
    services.take_ticket(ticket, by=agent)
    page = client_as(agent).get(workspace_url(ticket) + "?tab=history").content.decode()
    assert f"<strong>{requester}</strong> · Created" in page
    assert f"<strong>{agent}</strong> · Taken" in page


def test_history_shows_moments_in_local_time_and_no_internal_ids(client_as, agent, ticket):
    from tickets.models import TicketEvent

    TicketEvent.objects.create(
        ticket=ticket,
        kind=TicketEvent.Kind.SLA_POLICY,
        before={"resolution_due": "2026-07-01T09:00:00+00:00"},
        after={"policy": "Gold", "policy_id": 3, "resolution_due": "2026-11-25T10:30:00+00:00"},
    )
    page = client_as(agent).get(workspace_url(ticket) + "?tab=history").content.decode()
    assert "policy:</span> Gold" in page
    assert "policy id" not in page and "policy_id" not in page
    # British summer time in July, Greenwich time in November.
    assert "<del>Wed 1 Jul 2026, 10:00</del> → Wed 25 Nov 2026, 10:30" in page
    assert "2026-11-25T10:30" not in page
