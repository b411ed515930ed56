"""Where survey answers show: the portal's surveys waiting, the agent's ticket page, the team
lead's follow-ups, the managers' satisfaction and pulse pages, and the agent pulse form."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind, NotificationPreference, Team, User
from surveys import followups, on_ticket, pulse
from surveys.models import Answer, FollowUp, Invitation, PulseResponse
from tests.factories import ServiceFactory, TeamFactory, TicketFactory, UserFactory, workspace_url
from tickets.models import OutboxMessage, Ticket

from .builders import answer, invite

HTMX = {"HX-Request": "true"}


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def team_lead(service):
    lead = UserFactory.create(full_name="Tom Lead", email="tom@example.com", role=User.Role.AGENT)
    service.owner_team.lead = lead
    service.owner_team.save(update_fields=["lead"])
    return lead


@pytest.fixture
def desk_manager(manager, service_desk):
    """Maria manages the Service Desk (a member: Tom has taken over as its lead)."""
    service_desk.members.add(manager)
    return manager


@pytest.fixture
def resolved_ticket(requester, service, agent, now):
    return TicketFactory.create(
        requester=requester,
        service=service,
        assignee=agent,
        status=Ticket.Status.RESOLVED,
        resolved_at=now - timedelta(hours=3),
        subject="Calendar invites vanish",
    )


@pytest.fixture
def low_answer(resolved_ticket, team_lead, now):
    invitation = invite(resolved_ticket, at=now - timedelta(hours=2))
    [low] = answer(
        invitation, 1, comment="Took a week and nobody called.", at=now - timedelta(hours=1)
    )
    return low


@pytest.fixture
def follow_up(low_answer) -> FollowUp:
    return FollowUp.objects.get(answer=low_answer)


def other_teams_follow_up(now) -> FollowUp:
    service = ServiceFactory.create(owner_team=TeamFactory.create(name="Network"))
    ticket = TicketFactory.create(
        service=service, status=Ticket.Status.CLOSED, resolved_at=now - timedelta(hours=3)
    )
    invitation = invite(ticket, at=now - timedelta(hours=2))
    answer(invitation, 2, comment="Slow.", at=now - timedelta(hours=1))
    return FollowUp.objects.get(answer__invitation=invitation)


# The portal: surveys waiting for you.


def test_the_portal_lists_the_person_s_open_surveys_with_their_answer_links(
    client_as, requester, other_requester, resolved_ticket, now
):
    waiting = invite(resolved_ticket, at=now - timedelta(hours=1))
    other = TicketFactory.create(requester=other_requester, status="resolved", resolved_at=now)
    invite(other, at=now)
    expired = TicketFactory.create(
        requester=requester, status="closed", resolved_at=now, subject="Old one"
    )
    invite(expired, at=now - timedelta(days=20), expires_at=now - timedelta(days=6))
    page = client_as(requester).get(reverse("portal:surveys")).content.decode()
    links = re.findall(r'href="(/portal/surveys/\d+/[^"]+/)"', page)
    assert len(links) == 1 and links[0].startswith(f"/portal/surveys/{waiting.pk}/")
    assert "Calendar invites vanish" in page and "Old one" not in page and other.subject not in page
    # The link opens the answer page of that invitation.
    assert client_as(requester).get(links[0]).status_code == 200
    home = client_as(requester).get(reverse("portal:home")).content.decode()
    assert "Surveys waiting for you" in home
    assert f'href="/portal/surveys/{waiting.pk}/' in home  # a token signed anew: its time differs


def test_a_reopened_or_answered_ticket_s_survey_is_not_waiting(
    client_as, requester, resolved_ticket, now
):
    invitation = invite(resolved_ticket, at=now - timedelta(hours=1))
    Ticket.objects.filter(pk=resolved_ticket.pk).update(status="open", resolved_at=None)
    assert (
        "Calendar invites vanish"
        not in client_as(requester).get(reverse("portal:surveys")).content.decode()
    )
    Ticket.objects.filter(pk=resolved_ticket.pk).update(
        status="resolved", resolved_at=invitation.resolved_at
    )
    Invitation.objects.filter(pk=invitation.pk).update(status="answered")
    page = client_as(requester).get(reverse("portal:surveys")).content.decode()
    assert "Nothing waiting" in page
    home = client_as(requester).get(reverse("portal:home")).content.decode()
    assert "Surveys waiting for you" not in home


def test_the_home_page_looks_for_surveys_only_while_one_can_be_waiting(
    client_as, requester, resolve, clock, default_rule, django_assert_num_queries
):
    from surveys import services

    from .conftest import NOW

    client = client_as(requester)
    client.get(reverse("portal:home"))
    with django_assert_num_queries(3) as nothing_open:  # session, person, open tickets
        client.get(reverse("portal:home"))
    assert not [q for q in nothing_open.captured_queries if "surveys_invitation" in q["sql"]]
    # The beat invites the person: from then the home page looks, and finds it.
    resolve(requester=requester)
    assert services.invite_due(NOW + timedelta(hours=2)) == 1
    clock.move_to(NOW + timedelta(hours=3), tick=False)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Surveys waiting for you" in home
    # Past the invitation's expiry nothing can be waiting: no query again.
    clock.move_to(NOW + timedelta(days=60), tick=False)
    client = client_as(requester)
    client.get(reverse("portal:home"))
    with django_assert_num_queries(3) as expired:
        home = client.get(reverse("portal:home")).content.decode()
    assert "Surveys waiting for you" not in home
    assert not [q for q in expired.captured_queries if "surveys_invitation" in q["sql"]]


def test_saving_a_person_read_before_an_invitation_keeps_it_waiting(
    client_as, requester, resolved_ticket, now
):
    stale = User.objects.get(pk=requester.pk)  # read (say, by a profile form) before the beat
    invite(resolved_ticket, at=now - timedelta(hours=1))
    stale.full_name = "Renamed Person"
    stale.set_password("a-new-long-password-1")
    stale.save()
    fresh = User.objects.get(pk=requester.pk)
    assert fresh.full_name == "Renamed Person" and fresh.check_password("a-new-long-password-1")
    assert fresh.surveys_open_until is not None
    home = client_as(fresh).get(reverse("portal:home")).content.decode()
    assert "Surveys waiting for you" in home


# The agent's ticket page.


def test_the_agent_sees_the_answer_and_comment_on_the_ticket_page(
    client_as, agent, low_answer, resolved_ticket
):
    page = client_as(agent).get(workspace_url(resolved_ticket)).content.decode()
    section = page[page.index('id="survey-answers"') :]
    assert "CSAT 1/5" in section and "Very dissatisfied" in section
    assert "Took a week and nobody called." in section
    assert "Follow-up open" in section
    # A plain agent is not the follow-up's owner: no link to a page they cannot open.
    assert reverse("workspace:followup-detail", args=[low_answer.follow_up.pk]) not in section


def test_an_agent_of_another_team_cannot_see_the_ticket_or_its_answer(
    client_as, other_agent, low_answer, resolved_ticket
):
    assert client_as(other_agent).get(workspace_url(resolved_ticket)).status_code == 404
    assert not Answer.objects.visible_to(other_agent).exists()


def test_the_survey_answer_is_read_with_the_ticket_and_costs_no_query(
    client_as,
    agent,
    resolved_ticket,
    requester,
    service,
    now,
    django_assert_num_queries,
    django_assert_max_num_queries,
):
    client = client_as(agent)
    open_ticket = TicketFactory.create(requester=requester, service=service)
    client.get(workspace_url(open_ticket))
    with django_assert_num_queries(6) as few:  # as tests/workspace counts it
        client.get(workspace_url(open_ticket))
    base = len(few.captured_queries)  # now: the next request forgets the queries it counted
    client.get(workspace_url(resolved_ticket))
    with django_assert_num_queries(base):
        page = client.get(workspace_url(resolved_ticket)).content.decode()
    assert 'id="survey-answers"' not in page
    invitation = invite(resolved_ticket, at=now - timedelta(hours=2), asks_ces=True)
    answered = answer(
        invitation, 2, ces=6, comment="Slow <b>reply</b>.", at=now - timedelta(hours=1)
    )
    with django_assert_num_queries(base) as shown:
        page = client.get(workspace_url(resolved_ticket)).content.decode()
    assert not [q for q in shown.captured_queries if q["sql"].startswith('SELECT "surveys_')]
    assert page.index("CSAT 2/5") < page.index("CES 6/7")  # in the order they were asked
    assert "Slow &lt;b&gt;reply&lt;/b&gt;." in page
    follow_up = FollowUp.objects.get(answer__in=answered)
    local = timezone.localtime(answered[0].answered_at)
    assert f"{local:%-d %b %Y, %H:%M}" in page
    assert f"{timezone.localtime(follow_up.due_at):%a %-d %b %H:%M}" in page
    assert "Follow-up open" in page
    follow_up.status, follow_up.outcome = FollowUp.Status.CLOSED, FollowUp.Outcome.RECOVERED
    follow_up.closed_at = now
    follow_up.save()
    with django_assert_num_queries(base):
        page = client.get(workspace_url(resolved_ticket)).content.decode()
    assert "Follow-up closed: recovered" in page
    # The sidebar's htmx refresh does not read the answers at all.
    with django_assert_max_num_queries(base) as sidebar:
        client.get(workspace_url(resolved_ticket), headers={**HTMX, "HX-Target": "ticket-sidebar"})
    assert not [q for q in sidebar.captured_queries if "surveys_answer" in q["sql"]]


def test_answers_read_with_the_ticket_match_the_rows(agent, admin_user, resolved_ticket, now):
    invitation = invite(resolved_ticket, at=now - timedelta(hours=2), asks_ces=True)
    stored = answer(invitation, 1, ces=2, comment="Nobody called.", at=now - timedelta(hours=1))
    for person in (agent, admin_user):
        read = on_ticket.with_answers(Ticket.objects.visible_to(person), person)
        shown = on_ticket.answers_of(read.get(pk=resolved_ticket.pk))
        assert shown is not None
        assert [
            (a.pk, a.instrument, a.score, a.comment, a.answered_at, a.changed_at) for a in shown
        ] == [
            (a.pk, a.instrument, a.score, a.comment, a.answered_at, a.changed_at)
            for a in sorted(stored, key=on_ticket.asked_first)
        ]
        [with_follow_up] = [a for a in shown if a.instrument == "csat"]
        assert with_follow_up.follow_up.due_at == FollowUp.objects.get().due_at
        assert with_follow_up.follow_up.is_open
    # A ticket read the ordinary way says so, rather than "no answers".
    assert on_ticket.answers_of(Ticket.objects.get(pk=resolved_ticket.pk)) is None


# The team lead's follow-ups.


def test_an_end_user_gets_404_on_every_workspace_survey_page(client_as, requester, follow_up):
    client = client_as(requester)
    for url in (
        reverse("workspace:followups"),
        reverse("workspace:followup-detail", args=[follow_up.pk]),
        reverse("workspace:pulse"),
    ):
        assert client.get(url).status_code == 404
    for url in (
        reverse("workspace:followup-contact", args=[follow_up.pk]),
        reverse("workspace:followup-close", args=[follow_up.pk]),
    ):
        assert client.post(url, {"outcome": "could_not_reach"}).status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.is_open


def test_a_lead_sees_only_their_teams_follow_ups(client_as, team_lead, follow_up, now):
    other = other_teams_follow_up(now)
    page = client_as(team_lead).get(reverse("workspace:followups")).content.decode()
    assert reverse("workspace:followup-detail", args=[follow_up.pk]) in page
    assert reverse("workspace:followup-detail", args=[other.pk]) not in page
    assert "Took a week and nobody called." in page and "Ella Morgan" in page
    assert (
        client_as(team_lead).get(reverse("workspace:followup-detail", args=[other.pk])).status_code
        == 404
    )


def test_another_lead_gets_404_and_cannot_close(client_as, follow_up, now):
    other = other_teams_follow_up(now)
    other_lead = UserFactory.create(role=User.Role.AGENT)
    assert other.team_id is not None
    Team.objects.filter(pk=other.team_id).update(lead=other_lead)
    client = client_as(other_lead)
    assert client.get(reverse("workspace:followup-detail", args=[follow_up.pk])).status_code == 404
    response = client.post(
        reverse("workspace:followup-close", args=[follow_up.pk]), {"outcome": "could_not_reach"}
    )
    assert response.status_code == 404
    follow_up.refresh_from_db()
    assert follow_up.is_open
    assert client.get(reverse("workspace:followup-detail", args=[other.pk])).status_code == 200


def test_a_manager_sees_all_their_teams_and_an_admin_everything(
    client_as, desk_manager, admin_user, follow_up, now
):
    other = other_teams_follow_up(now)
    mine = client_as(desk_manager).get(reverse("workspace:followups")).content.decode()
    assert reverse("workspace:followup-detail", args=[follow_up.pk]) in mine
    assert reverse("workspace:followup-detail", args=[other.pk]) not in mine
    everything = client_as(admin_user).get(reverse("workspace:followups")).content.decode()
    assert all(
        reverse("workspace:followup-detail", args=[f.pk]) in everything for f in (follow_up, other)
    )


def test_a_plain_agent_is_told_follow_ups_go_to_leads(client_as, agent, follow_up):
    page = client_as(agent).get(reverse("workspace:followups")).content.decode()
    assert "You lead no team" in page
    assert reverse("workspace:followup-detail", args=[follow_up.pk]) not in page


def test_the_lead_records_contact_and_closes_without_javascript(
    client_as, team_lead, follow_up, requester
):
    client = client_as(team_lead)
    detail = reverse("workspace:followup-detail", args=[follow_up.pk])
    page = client.get(detail).content.decode()
    assert "Took a week and nobody called." in page and requester.email in page
    contacted = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("workspace:followup-contact", args=[follow_up.pk]),
        {"contacted_at": contacted},
        follow=True,
    )
    assert (
        response.redirect_chain[-1][0] == detail
        and "Contact recorded." in response.content.decode()
    )
    response = client.post(
        reverse("workspace:followup-close", args=[follow_up.pk]),
        {
            "outcome": "recovered",
            "action_taken": "Calendar sync fixed for the team.",
            "tell_requester": "on",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Follow-up closed. Ella Morgan will be told." in body
    assert "Closed: Recovered" in body and "Calendar sync fixed for the team." in body
    follow_up.refresh_from_db()
    assert (follow_up.outcome, follow_up.closed_by, follow_up.tell_requester) == (
        "recovered",
        team_lead,
        True,
    )
    assert OutboxMessage.objects.filter(kind=followups.WE_DID, recipient=requester).count() == 1


def test_a_refused_close_keeps_what_was_typed_in_the_htmx_fragment(client_as, team_lead, follow_up):
    response = client_as(team_lead).post(
        reverse("workspace:followup-close", args=[follow_up.pk]),
        {
            "outcome": "recovered",
            "contacted_at": (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "action_taken": "New laptop pool.",
        },
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and 'id="follow-up-panel"' in body
    assert "A contact cannot be in the future." in body and "New laptop pool.</textarea>" in body
    follow_up.refresh_from_db()
    assert follow_up.is_open


def test_recovered_with_the_optional_contact_time_left_empty_closes_reached_now(
    client_as, team_lead, follow_up
):
    before = timezone.now()
    response = client_as(team_lead).post(
        reverse("workspace:followup-close", args=[follow_up.pk]),
        {"outcome": "recovered", "contacted_at": ""},
        headers=HTMX,
    )
    body = response.content.decode()
    assert "Follow-up closed." in body and "Closed: Recovered" in body
    follow_up.refresh_from_db()
    assert follow_up.outcome == "recovered" and follow_up.contacted_at >= before


def test_the_contact_and_close_forms_have_their_own_labels_and_ids(client_as, team_lead, follow_up):
    page = (
        client_as(team_lead)
        .get(reverse("workspace:followup-detail", args=[follow_up.pk]))
        .content.decode()
    )
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert 'for="contact-contacted_at">Date and time of the contact</label>' in page
    close_label = page[page.index('for="close-contacted_at"') :].split("</label>", 1)[0]
    assert "When you reached them" in close_label and "(optional)" in close_label
    assert "Left empty: now, for Recovered or Not recovered. Could not reach needs none." in page


def test_the_close_form_does_not_offer_to_tell_someone_who_gets_no_survey_mail(
    client_as, team_lead, follow_up, requester
):
    NotificationPreference.objects.create(
        user=requester, kind=NotificationKind.SURVEY_INVITATION, enabled=False
    )
    page = (
        client_as(team_lead)
        .get(reverse("workspace:followup-detail", args=[follow_up.pk]))
        .content.decode()
    )
    assert 'name="tell_requester"' not in page and "cannot be told by email" in page


def test_the_follow_up_list_query_count_is_fixed(
    client_as, desk_manager, follow_up, resolve_many, django_assert_num_queries
):
    client = client_as(desk_manager)
    client.get(reverse("workspace:followups"))
    with django_assert_num_queries(4) as few:  # session, person, teams, rows
        client.get(reverse("workspace:followups"))
    resolve_many(8)
    assert FollowUp.objects.count() == 9
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("workspace:followups")).content.decode()
    assert page.count("/workspace/follow-ups/") >= 9


@pytest.fixture
def resolve_many(service, now):
    def make(count):
        for n in range(count):
            ticket = TicketFactory.create(
                service=service, status="resolved", resolved_at=now - timedelta(hours=3)
            )
            invitation = invite(ticket, at=now - timedelta(hours=2))
            answer(invitation, 1 + n % 2, comment=f"Comment {n}", at=now - timedelta(hours=1))

    return make


# The managers' dashboards.


def test_satisfaction_is_for_managers_and_admins(client_as, requester, agent, manager, admin_user):
    url = reverse("dashboards:satisfaction")
    assert client_as(requester).get(url).status_code == 404
    assert client_as(agent).get(url).status_code == 404
    assert client_as(manager).get(url).status_code == 200
    assert client_as(admin_user).get(url).status_code == 200


def test_satisfaction_shows_scores_counts_and_formulas(
    client_as, desk_manager, low_answer, resolve_many
):
    resolve_many(3)  # CSAT 1, 2, 1: none satisfied
    page = client_as(desk_manager).get(reverse("dashboards:satisfaction")).content.decode()
    assert "share of the 1–5 answers that are 4 or 5".lower() in page.lower()
    assert "% promoters (9–10) − % detractors (0–6)" in page
    row = page[page.index("Email &amp; Calendar") :]
    assert re.search(r"0%<span class=\"sd-counts\">0 of 4</span>", row)
    assert "4 of 4" in row  # response rate: four answered of four sent


def test_satisfaction_query_count_does_not_grow_with_services(
    client_as, desk_manager, low_answer, resolve_many, django_assert_num_queries, now
):
    client = client_as(desk_manager)
    client.get(reverse("dashboards:satisfaction"))
    # Session, person, teams, the names of services and departments, two breakdowns of two.
    with django_assert_num_queries(9) as few:
        client.get(reverse("dashboards:satisfaction"))
    for _ in range(4):
        service = ServiceFactory.create(owner_team=low_answer.invitation.team)
        ticket = TicketFactory.create(service=service, status="closed", resolved_at=now)
        answer(invite(ticket, at=now - timedelta(hours=2)), 5, at=now - timedelta(hours=1))
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboards:satisfaction"))


def test_the_pulse_dashboard_hides_small_groups(
    client_as, manager, admin_user, agent, requester, service_desk
):
    with time_machine.travel(timezone.now() - timedelta(days=40), tick=False):
        last_month, _ = pulse.open_round(timezone.now())
    people = UserFactory.create_batch(5, role=User.Role.AGENT)
    service_desk.members.add(*people)
    network = TeamFactory.create(name="Network")
    for _ in people:
        PulseResponse.objects.create(round=last_month, team=service_desk, enps=10, workload=4)
    for _ in range(2):
        PulseResponse.objects.create(round=last_month, team=network, enps=0, workload=1)
    url = reverse("dashboards:pulse")
    assert client_as(requester).get(url).status_code == 404
    assert client_as(agent).get(url).status_code == 404
    page = client_as(admin_user).get(url).content.decode()
    desk = page[page.index('<th scope="row">Service Desk</th>') :]
    assert desk.index("+100") < desk.index("</tr>")
    net = page[page.index('<th scope="row">Network</th>') :]
    assert net.index("Not enough answers to show") < net.index("</tr>")
    assert "-100" not in page
    mine = client_as(manager).get(url).content.decode()
    assert '<th scope="row">Network</th>' not in mine  # not a team of hers


# The agent pulse in the workspace.


def test_an_agent_answers_the_pulse_once(client_as, agent, service_desk):
    pulse.open_round(timezone.now())
    client = client_as(agent)
    page = client.get(reverse("workspace:pulse")).content.decode()
    assert pulse.ENPS_QUESTION in page and 'name="enps"' in page and 'name="team"' not in page
    response = client.post(reverse("workspace:pulse"), {"enps": "8", "workload": "4"}, follow=True)
    body = response.content.decode()
    assert "Your answer is recorded, without your name." in body
    assert "You have answered this month" in body and 'name="enps"' not in body
    assert PulseResponse.objects.get().team == service_desk
    # A second POST records nothing more.
    client.post(reverse("workspace:pulse"), {"enps": "0", "workload": "1"})
    assert PulseResponse.objects.count() == 1


@pytest.mark.parametrize(
    "data", [{}, {"enps": "11", "workload": "3"}, {"enps": "x", "workload": "9"}]
)
def test_a_bad_pulse_answer_is_explained_and_nothing_is_stored(client_as, agent, data):
    pulse.open_round(timezone.now())
    response = client_as(agent).post(reverse("workspace:pulse"), data)
    assert response.status_code == 200 and "invalid-feedback" in response.content.decode()
    assert not PulseResponse.objects.exists()


def test_without_an_open_round_the_pulse_page_says_so(client_as, agent):
    page = client_as(agent).get(reverse("workspace:pulse")).content.decode()
    assert "No pulse is open right now." in page


def test_closing_by_htmx_also_updates_the_state_line_above_the_panel(
    client_as, team_lead, follow_up
):
    """The trial found a closed follow-up still headed "Overdue" until the page was reloaded."""
    response = client_as(team_lead).post(
        reverse("workspace:followup-close", args=[follow_up.pk]),
        {"outcome": "could_not_reach", "action_taken": ""},
        headers=HTMX,
    )
    body = response.content.decode()
    assert 'id="follow-up-status" hx-swap-oob="true"' in body
    status_line = body.split('id="follow-up-status"', 1)[1].split("</p>", 1)[0]
    assert "Closed" in status_line and "Overdue" not in status_line


def test_the_follow_up_list_says_how_many_business_days_a_lead_has(client_as, team_lead, settings):
    settings.SURVEY_FOLLOW_UP_BUSINESS_DAYS = 2
    page = client_as(team_lead).get(reverse("workspace:followups")).content.decode()
    assert "due within 2 business days" in page
