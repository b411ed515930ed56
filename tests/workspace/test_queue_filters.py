"""The queue's filter menus offer only what the agent may see, and refuse anything else."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.factories import ServiceFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Ticket


@pytest.fixture
def network(other_agent):
    """Dana's team, with a ticket of its own: nobody in the Service Desk works it."""
    team = other_agent.teams.get()
    TicketFactory.create(
        service=ServiceFactory.create(owner_team=team), subject="Switch in rack 4 is down"
    )
    return team


def queue_page(client, **params) -> str:
    return client.get(reverse("workspace:queue"), {"queue": "all", **params}).content.decode()


def option(obj) -> str:
    return f'<option value="{obj.pk}">{obj}</option>'


def test_agent_filters_by_own_teams_and_their_people(client_as, agent, second_agent, network):
    page = queue_page(client_as(agent))
    assert option(agent.teams.get()) in page
    assert option(agent) in page and option(second_agent) in page
    assert option(network) not in page and "Dana Reyes" not in page


def test_manager_filters_by_teams_led_or_joined(client_as, manager, agent, network, service_desk):
    joined = TeamFactory.create(name="Field Services")
    colleague = UserFactory.create(full_name="Finn Field", role=User.Role.AGENT)
    joined.members.add(manager, colleague)
    page = queue_page(client_as(manager))
    assert option(service_desk) in page and option(joined) in page
    assert option(agent) in page and option(colleague) in page
    assert option(network) not in page and "Dana Reyes" not in page


def test_admin_filters_by_every_team_and_anyone_on_the_staff(
    client_as, admin_user, agent, other_agent, network, service_desk
):
    page = queue_page(client_as(admin_user))
    assert option(service_desk) in page and option(network) in page
    assert option(agent) in page and option(other_agent) in page


def test_team_menu_lists_the_teams_whose_tickets_each_role_sees(
    client_as, agent, manager, admin_user, network, ticket
):
    for person in (agent, manager, admin_user):
        page = queue_page(client_as(person))
        for team in {t.team for t in Ticket.objects.visible_to(person)}:
            assert option(team) in page


def test_team_outside_the_agents_scope_is_refused_without_naming_it(
    client_as, agent, network, ticket
):
    page = queue_page(client_as(agent), team=network.pk)
    assert "Not one of your teams." in page
    assert ticket.subject not in page  # refused, not quietly widened to every team
    assert "Network" not in page and "Switch in rack 4" not in page
    missing = queue_page(client_as(agent), team=network.pk + 1000)
    assert "Not one of your teams." in missing  # the same answer as for a team that exists


def test_assignee_outside_the_agents_teams_is_refused(client_as, agent, other_agent, ticket):
    page = queue_page(client_as(agent), assignee=other_agent.pk)
    assert "Not someone in your teams." in page
    assert ticket.subject not in page and "Dana Reyes" not in page


def test_own_team_filter_still_lists_its_tickets(client_as, agent, ticket, service_desk):
    page = queue_page(client_as(agent), team=service_desk.pk)
    assert ticket.subject in page and "Not one of your teams." not in page
