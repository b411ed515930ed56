"""Sessions end when access is taken away: deactivated, role changed, removed from a team.

Each change raises the person's session epoch, which is part of the session hash Django checks
on every request, so an old session cookie stops working with any session backend, and
reactivating the account never revives it.
"""

import pytest
from django.contrib.auth.base_user import AbstractBaseUser
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import User
from tests.accounts.admin_forms import post_person, post_team
from tests.factories import TeamFactory

SESSION_ENGINES = [
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cache",
    "django.contrib.sessions.backends.signed_cookies",
]


def signed_in(client: Client) -> bool:
    return client.get(reverse("workspace:queue")).status_code == 200


def signed_out(client: Client) -> bool:
    response = client.get(reverse("workspace:queue"))
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def log_in(email: str) -> Client:
    """A browser that signed in with the password, as a person does."""
    client = Client()
    response = client.post(
        reverse("accounts:login"),
        {"username": email, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302, response.content
    return client


@pytest.mark.parametrize("engine", SESSION_ENGINES)
def test_deactivating_ends_the_sessions_and_reactivating_does_not_revive_them(
    engine, settings, agent, admin_user
):
    settings.SESSION_ENGINE = engine
    browser = log_in(agent.email)
    assert signed_in(browser)
    services.set_active(agent, active=False, by=admin_user)
    assert signed_out(browser)
    services.set_active(agent, active=True, by=admin_user)
    assert signed_out(browser)
    assert signed_in(log_in(agent.email))  # signing in again works


def test_an_old_session_stays_ended_when_the_account_comes_back_by_another_road(agent, admin_user):
    """Even switched off and on outside the services, a deactivation through them holds."""
    browser = log_in(agent.email)
    services.set_active(agent, active=False, by=admin_user)
    User.objects.filter(pk=agent.pk).update(is_active=True)
    assert signed_out(browser)


@pytest.mark.parametrize("engine", SESSION_ENGINES)
def test_changing_the_role_ends_the_sessions(engine, settings, agent, admin_user):
    settings.SESSION_ENGINE = engine
    browser = log_in(agent.email)
    services.set_role(agent, role=User.Role.MANAGER, by=admin_user)
    assert signed_out(browser)


def test_removing_an_agent_from_a_team_ends_their_sessions(agent, service_desk, admin_user):
    browser = log_in(agent.email)
    network = TeamFactory.create(name="Network")
    services.add_to_team(network, agent, by=admin_user)
    assert signed_in(browser)  # being given more access ends nothing
    services.remove_from_team(service_desk, agent, by=admin_user)
    assert signed_out(browser)


def test_a_former_team_lead_loses_their_sessions(manager, service_desk, admin_user):
    browser = log_in(manager.email)
    services.set_team_lead(service_desk, lead=None, by=admin_user)
    assert signed_out(browser)


def test_nothing_ends_when_nothing_changes(agent, service_desk, admin_user):
    browser = log_in(agent.email)
    services.set_active(agent, active=True, by=admin_user)
    services.set_role(agent, role=User.Role.AGENT, by=admin_user)
    services.set_team_members(service_desk, members=[agent], by=admin_user)
    assert signed_in(browser)
    assert not agent.account_events.exists()


def test_the_admin_form_ends_the_sessions_of_the_person_it_demotes(
    client_as, agent, service_desk, admin_user
):
    browser = log_in(agent.email)
    response = post_person(client_as(admin_user), agent, role=User.Role.END_USER)
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.role == User.Role.END_USER
    assert signed_out(browser)


def test_deactivating_and_reactivating_in_the_admin_does_not_revive_the_old_session(
    client_as, agent, admin_user
):
    """The attack run's finding: the old cookie came back to life with the account."""
    browser = log_in(agent.email)
    admin = client_as(admin_user)
    assert post_person(admin, agent, is_active=False).status_code == 302
    assert post_person(admin, agent, is_active=True).status_code == 302
    agent.refresh_from_db()
    assert agent.is_active
    assert signed_out(browser)


def test_the_admin_forms_end_sessions_when_a_team_loses_a_member_from_either_side(
    client_as, agent, second_agent, service_desk, admin_user
):
    sams_browser, chloes_browser = log_in(agent.email), log_in(second_agent.email)
    admin = client_as(admin_user)
    assert post_person(admin, agent, teams=[]).status_code == 302
    assert signed_out(sams_browser) and signed_in(chloes_browser)
    assert post_team(admin, service_desk, members=[]).status_code == 302
    assert signed_out(chloes_browser)
    assert not service_desk.members.exists()


def test_the_admin_deactivate_action_ends_the_sessions(client_as, agent, admin_user):
    browser = log_in(agent.email)
    client_as(admin_user).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [agent.pk]},
    )
    agent.refresh_from_db()
    assert not agent.is_active
    assert signed_out(browser)


def test_an_admin_editing_themselves_keeps_this_session_and_ends_the_others(
    admin_user, service_desk
):
    here, elsewhere = log_in(admin_user.email), log_in(admin_user.email)
    assert post_person(here, admin_user, teams=[service_desk.pk]).status_code == 302
    assert post_person(here, admin_user, teams=[]).status_code == 302  # removed: access shrinks
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(admin_user):
    """Django's own rule (update_session_auth_hash) still holds with the epoch in the hash."""
    here, elsewhere = log_in(admin_user.email), log_in(admin_user.email)
    new = "a-brand-new-long-password-2026"
    response = here.post(
        reverse("admin:auth_user_password_change", args=[admin_user.pk]),
        {"password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302


def test_sessions_signed_in_before_the_epoch_existed_still_verify(agent):
    """At epoch 0 the hash is Django's own: deploying this logs nobody out."""
    assert agent.session_epoch == 0
    assert agent.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(agent)
    agent.session_epoch = 1
    assert agent.get_session_auth_hash() != AbstractBaseUser.get_session_auth_hash(agent)


def test_only_an_admin_may_change_access(agent, manager, requester):
    from django.core.exceptions import PermissionDenied

    for change in (
        lambda: services.set_active(requester, active=False, by=manager),
        lambda: services.set_role(requester, role=User.Role.ADMIN, by=agent),
        lambda: services.set_teams(agent, teams=[], by=manager),
    ):
        with pytest.raises(PermissionDenied):
            change()
    requester.refresh_from_db()
    assert requester.is_active and requester.role == User.Role.END_USER
