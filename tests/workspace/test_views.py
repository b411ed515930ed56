import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import NotificationKind
from tests.factories import ServiceFactory, TeamFactory, TicketFactory, workspace_url
from tickets import services
from tickets.models import OutboxMessage, Priority, Ticket

HTMX = {"HX-Request": "true"}


def htmx(target: str) -> dict[str, str]:
    return {**HTMX, "HX-Target": target}


def test_end_users_get_404_for_the_workspace(client_as, requester, ticket):
    client = client_as(requester)
    assert client.get(reverse("workspace:queue")).status_code == 404
    assert client.get(workspace_url(ticket)).status_code == 404
    assert client.post(reverse("workspace:ticket-take", args=[ticket.pk])).status_code == 404


def test_agent_of_another_team_gets_404_for_the_ticket(client_as, other_agent, ticket):
    client = client_as(other_agent)
    assert client.get(workspace_url(ticket)).status_code == 404
    assert client.post(reverse("workspace:ticket-take", args=[ticket.pk])).status_code == 404
    assert (
        client.post(
            reverse("workspace:ticket-comment", args=[ticket.pk]), {"body": "x"}
        ).status_code
        == 404
    )
    assert (
        ticket.number
        not in client.get(reverse("workspace:queue"), {"queue": "all"}).content.decode()
    )


def test_unassigned_queue_lists_team_tickets_without_assignee(
    client_as, agent, second_agent, ticket, service
):
    taken = TicketFactory.create(
        service=service, subject="Already taken one", assignee=second_agent
    )
    page = client_as(agent).get(reverse("workspace:queue")).content.decode()
    assert ticket.subject in page
    assert taken.subject not in page


def test_mine_and_team_queues(client_as, agent, second_agent, service):
    mine = TicketFactory.create(service=service, subject="Assigned to Sam", assignee=agent)
    theirs = TicketFactory.create(
        service=service, subject="Assigned to Chloe", assignee=second_agent
    )
    client = client_as(agent)
    page = client.get(reverse("workspace:queue"), {"queue": "mine"}).content.decode()
    assert mine.subject in page and theirs.subject not in page
    page = client.get(reverse("workspace:queue"), {"queue": "team"}).content.decode()
    assert mine.subject in page and theirs.subject in page


def test_queue_hides_closed_tickets_unless_asked(client_as, agent, service):
    closed = TicketFactory.create(
        service=service, subject="Closed long ago", status=Ticket.Status.CLOSED
    )
    client = client_as(agent)
    assert (
        closed.subject
        not in client.get(reverse("workspace:queue"), {"queue": "all"}).content.decode()
    )
    page = client.get(
        reverse("workspace:queue"), {"queue": "all", "status": "closed"}
    ).content.decode()
    assert closed.subject in page


def test_queue_filters_search_and_sort(client_as, agent, service):
    urgent = TicketFactory.create(
        service=service, subject="Payroll export fails", priority=Priority.P1
    )
    routine = TicketFactory.create(
        service=service, subject="New mouse please", priority=Priority.P4
    )
    client = client_as(agent)
    page = client.get(reverse("workspace:queue"), {"queue": "all", "priority": 1}).content.decode()
    assert urgent.subject in page and routine.subject not in page
    page = client.get(
        reverse("workspace:queue"), {"queue": "all", "q": "payroll export"}
    ).content.decode()
    assert urgent.subject in page and routine.subject not in page
    page = client.get(
        reverse("workspace:queue"), {"queue": "all", "q": routine.number}
    ).content.decode()
    assert routine.subject in page and urgent.subject not in page
    page = client.get(
        reverse("workspace:queue"), {"queue": "all", "sort": "priority"}
    ).content.decode()
    assert page.index(urgent.subject) < page.index(routine.subject)


def test_bad_filter_value_is_explained_not_a_crash(client_as, agent, ticket):
    response = client_as(agent).get(
        reverse("workspace:queue"), {"queue": "all", "priority": "urgent!"}
    )
    assert response.status_code == 200
    assert "Some filters were not understood" in response.content.decode()


def test_queue_htmx_request_returns_only_the_list(client_as, agent, ticket):
    response = client_as(agent).get(
        reverse("workspace:queue"), {"queue": "all"}, headers=htmx("ticket-list")
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="ticket-list"' in body
    assert ticket.subject in body


def test_queue_query_count_is_fixed(client_as, agent, service, django_assert_num_queries):
    client = client_as(agent)
    TicketFactory.create_batch(2, service=service)
    client.get(reverse("workspace:queue"), {"queue": "all"})
    # The filter bar is cached per query string: a new one counts the cold page.
    with django_assert_num_queries(9) as few:
        client.get(reverse("workspace:queue"), {"queue": "all", "cold": 1})
    other_team = TeamFactory.create()
    TicketFactory.create_batch(20, service=service, assignee=agent)
    TicketFactory.create_batch(5, service=ServiceFactory.create(owner_team=other_team))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("workspace:queue"), {"queue": "all", "cold": 2})
    with django_assert_num_queries(len(few.captured_queries) - 3):  # warm: no choice lists
        client.get(reverse("workspace:queue"), {"queue": "all", "cold": 2})


def test_ticket_page_query_count_is_fixed(
    client_as, agent, requester, ticket, django_assert_num_queries
):
    client = client_as(agent)
    services.add_comment(ticket, body="first", by=agent)
    client.get(workspace_url(ticket))
    with django_assert_num_queries(6) as few:
        client.get(workspace_url(ticket))
    for n in range(10):
        services.add_comment(
            ticket,
            body=f"reply {n}",
            by=requester if n % 2 else agent,
            internal=n % 3 == 0 and n % 2 == 0,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(workspace_url(ticket))
    with django_assert_num_queries(len(few.captured_queries)):  # events instead of comments
        client.get(workspace_url(ticket), {"tab": "history"})
    for n in range(3):
        upload = SimpleUploadedFile(f"shot{n}.png", b"png")
        services.add_comment(ticket, body=f"file {n}", by=requester, files=[upload])
    with django_assert_num_queries(len(few.captured_queries) + 1):  # the files, in one read
        client.get(workspace_url(ticket))


def test_ticket_page_shows_notes_to_staff(client_as, agent, ticket):
    services.add_comment(ticket, body="Check the switch.", internal=True, by=agent)
    page = client_as(agent).get(workspace_url(ticket)).content.decode()
    assert "Check the switch." in page
    assert "Internal note" in page


def test_take_with_htmx_returns_the_sidebar_and_refreshes_the_thread(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-take", args=[ticket.pk]), headers=HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="ticket-sidebar"' in body
    assert "You have this ticket now." in body
    assert response["HX-Trigger"] == '{"ticket-thread-changed": {}}'
    assert Ticket.objects.get(pk=ticket.pk).assignee == agent


def test_second_take_is_told_who_has_it(client_as, agent, second_agent, ticket):
    client_as(agent).post(reverse("workspace:ticket-take", args=[ticket.pk]))
    response = client_as(second_agent).post(
        reverse("workspace:ticket-take", args=[ticket.pk]), headers=HTMX
    )
    assert "Sam Patel has already taken this ticket." in response.content.decode()


def test_take_without_javascript_redirects_with_a_message(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-take", args=[ticket.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == workspace_url(ticket)
    assert "You have this ticket now." in response.content.decode()


def test_reply_with_htmx_returns_the_thread_and_refreshes_the_sidebar(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-comment", args=[ticket.pk]),
        {"body": "On it.", "mode": "reply"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert 'id="ticket-tab"' in body and "On it." in body and "<html" not in body
    assert '<div id="ticket-sidebar" class="card" hx-swap-oob="true">' in body
    assert "HX-Trigger" not in response


def test_internal_note_from_the_workspace(client_as, agent, ticket):
    client_as(agent).post(
        reverse("workspace:ticket-comment", args=[ticket.pk]),
        {"body": "Note", "mode": "note"},
    )
    assert ticket.comments.get().is_internal


def test_empty_reply_is_shown_in_the_form(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-comment", args=[ticket.pk]),
        {"body": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_stale_edit_gets_a_clear_conflict(client_as, agent, second_agent, ticket):
    seen = ticket.version
    client_as(second_agent).post(
        reverse("workspace:ticket-update", args=[ticket.pk]),
        {"priority": 1, "service": ticket.service_id, "team": ticket.team_id, "version": seen},
    )
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "pending", "question": "Which printer?", "version": seen},
        headers=HTMX,
    )
    assert "changed by someone else" in response.content.decode()
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.status) == (1, Ticket.Status.NEW)


def test_assign_and_status_change(client_as, agent, second_agent, ticket):
    client = client_as(agent)
    client.post(
        reverse("workspace:ticket-assign", args=[ticket.pk]),
        {"assignee": second_agent.pk, "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.assignee == second_agent
    client.post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "resolved", "version": ticket.version},
    )
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.RESOLVED


def test_invalid_transition_is_explained(client_as, agent, ticket):
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "open", "version": ticket.version},
        follow=True,
    )
    assert "can&#39;t be moved to" in response.content.decode()


def test_history_tab_lists_events(client_as, agent, ticket):
    services.take_ticket(ticket, by=agent)
    response = client_as(agent).get(
        workspace_url(ticket), {"tab": "history"}, headers=htmx("ticket-tab")
    )
    body = response.content.decode()
    assert "<html" not in body and "Taken" in body and "Sam Patel" in body


@pytest.mark.parametrize(
    ("target", "tab"),
    [
        ("ticket-sidebar", ""),
        ("ticket-tab", "conversation"),
        ("comment-thread", "conversation"),
        ("ticket-history", "history"),
    ],
)
def test_ticket_fragments_for_htmx_refresh(client_as, agent, ticket, target, tab):
    body = (
        client_as(agent)
        .get(workspace_url(ticket), {"tab": tab}, headers=htmx(target))
        .content.decode()
    )
    assert f'id="{target}"' in body and "<html" not in body
    if target == "comment-thread":
        assert 'id="reply-form"' not in body  # a refresh never wipes a reply being typed


def test_manager_sees_team_tickets_and_admin_sees_all(client_as, manager, admin_user, ticket):
    elsewhere = TicketFactory.create(service=ServiceFactory.create(owner_team=TeamFactory.create()))
    assert client_as(manager).get(workspace_url(ticket)).status_code == 200
    assert client_as(manager).get(workspace_url(elsewhere)).status_code == 404
    assert client_as(admin_user).get(workspace_url(elsewhere)).status_code == 200


def test_queue_pages_without_counting(client_as, agent, service):
    TicketFactory.create_batch(30, service=service)
    client = client_as(agent)
    first = client.get(reverse("workspace:queue"), {"queue": "all"}).content.decode()
    assert "Tickets 1–25" in first and "page=2" in first
    second = client.get(reverse("workspace:queue"), {"queue": "all", "page": 2}).content.decode()
    assert "Tickets 26–30" in second and "page=3" not in second
    nonsense = client.get(reverse("workspace:queue"), {"queue": "all", "page": "last"})
    assert nonsense.status_code == 200 and "Tickets 1–25" in nonsense.content.decode()


def test_saving_the_same_status_says_nothing_changed(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "new", "version": ticket.version},
        headers=HTMX,
    )
    assert "No change: it is already new." in response.content.decode()
    assert not ticket.events.filter(kind="status_changed").exists()


def test_ages_read_as_plain_words():
    from datetime import timedelta

    from django.utils import timezone

    from servicedesk.jinja2 import age, ago

    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - timedelta(minutes=1, seconds=5)) == "1 minute ago"
    assert ago(now - timedelta(hours=3, minutes=5)) == "3 hours ago"
    assert ago(now - timedelta(days=9)) == "1 week ago"
    assert age(now - timedelta(days=2, hours=1)) == "2d"


def test_cached_filter_bar_follows_the_query(client_as, agent, ticket):
    client = client_as(agent)
    first = client.get(reverse("workspace:queue"), {"queue": "all", "priority": 1}).content.decode()
    second = client.get(
        reverse("workspace:queue"), {"queue": "all", "priority": 2}
    ).content.decode()
    assert '<option value="1" selected>' in first
    assert '<option value="2" selected>' in second and '<option value="1" selected>' not in second


def test_queue_says_one_thing_when_empty_and_another_when_filtered_out(client_as, agent):
    client = client_as(agent)
    page = client.get(reverse("workspace:queue"), {"queue": "all"}).content.decode()
    assert "Nothing waiting in this queue." in page and "No tickets match" not in page
    page = client.get(reverse("workspace:queue"), {"queue": "all", "q": "zebra"}).content.decode()
    assert "No tickets match these filters." in page and "Nothing waiting" not in page


def test_queue_subject_shows_in_full_on_hover(client_as, agent, ticket):
    page = client_as(agent).get(reverse("workspace:queue"), {"queue": "all"}).content.decode()
    assert f'class="sd-subject-link" title="{ticket.subject}"' in page


def test_queue_filters_have_visible_labels(client_as, agent):
    page = client_as(agent).get(reverse("workspace:queue")).content.decode()
    for label in ("Search", "Status", "Priority", "Service", "Team", "Assignee", "Sort"):
        assert f'">{label}</label>' in page


def test_waiting_on_requester_from_the_sidebar_sends_them_the_question(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "pending", "question": "Which laptop?", "version": ticket.version},
        headers=HTMX,
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING
    message = OutboxMessage.objects.get(ticket=ticket, kind=NotificationKind.TICKET_WAITING)
    assert message.comment is not None
    assert (message.recipient, message.comment.body) == (ticket.requester, "Which laptop?")


def test_waiting_on_requester_without_a_question_is_refused_with_a_reason(client_as, agent, ticket):
    response = client_as(agent).post(
        reverse("workspace:ticket-status", args=[ticket.pk]),
        {"status": "pending", "question": " ", "version": ticket.version},
        headers=HTMX,
    )
    assert "Tell the requester what you need from them." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_a_page_past_the_end_says_so_and_leads_back(client_as, agent, ticket):
    page = (
        client_as(agent)
        .get(reverse("workspace:queue"), {"queue": "all", "page": 999})
        .content.decode()
    )
    assert "No tickets on this page." in page and "Nothing waiting in this queue." not in page
    assert 'href="/workspace/?queue=all">Back to the first page</a>' in page


def test_the_list_fragment_links_like_the_page(client_as, agent, ticket):
    """A block renders alone for htmx: its links must not lean on the page's variables."""
    fragment = (
        client_as(agent)
        .get(
            reverse("workspace:queue"),
            {"queue": "all", "page": 999},
            headers={"HX-Request": "true", "HX-Target": "ticket-list"},
        )
        .content.decode()
    )
    assert "<html" not in fragment
    assert 'href="/workspace/?queue=all">Back to the first page</a>' in fragment


def test_the_triage_menus_drawn_from_reference_data_match_the_database(agent, ticket):
    from tickets import reference
    from workspace.forms import TriageForm

    ServiceFactory.create(name="zebra printers", is_active=False)  # retired: staff still see it
    ServiceFactory.create(name="Accounts")
    TeamFactory.create(name="Apps", tier=2)
    initial = {"service": ticket.service_id, "team": ticket.team_id, "priority": 3, "version": 1}
    drawn = TriageForm(user=agent, reference=reference.current(), initial=initial)
    read = TriageForm(user=agent, initial=initial)
    for name in ("service", "team"):
        assert str(drawn[name]) == str(read[name])
    # A choice sent is checked against the database, as before.
    bound = TriageForm(
        {"service": 999999, "team": ticket.team_id, "priority": 3, "version": 1},
        user=agent,
        reference=reference.current(),
    )
    assert not bound.is_valid() and "service" in bound.errors
    # A ticket's service newer than this process's copy: its menu is read, so it is chosen.
    held = reference.current()
    newer = ServiceFactory.create(name="Brand new service")
    form = TriageForm(user=agent, reference=held, initial={**initial, "service": newer.pk})
    assert f'<option value="{newer.pk}" selected>Brand new service</option>' in str(form["service"])
