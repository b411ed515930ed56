"""Changes of role, team membership and activity are audit events, written with the change."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import AccountEvent, Team, User
from tests.accounts.admin_forms import post_person, post_team
from tests.factories import TeamFactory

postgres_only = pytest.mark.needs("postgres")


def events(person: User) -> list[tuple[str, dict, dict]]:
    return [
        (event.kind, event.before, event.after)
        for event in AccountEvent.objects.filter(person=person).order_by("pk")
    ]


def test_an_admin_change_of_role_is_one_event_with_before_after_actor_and_time(
    client_as, agent, admin_user
):
    started = timezone.now()
    assert post_person(client_as(admin_user), agent, role=User.Role.MANAGER).status_code == 302
    event = AccountEvent.objects.get(person=agent)
    assert event.kind == AccountEvent.Kind.ROLE_CHANGED
    assert event.before == {"role": "agent", "is_superuser": False}
    assert event.after == {"role": "manager", "is_superuser": False}
    assert event.actor == admin_user
    assert started <= event.created_at <= timezone.now()
    assert event.team is None


def test_an_admin_edit_of_other_fields_records_no_event(client_as, agent, admin_user):
    assert post_person(client_as(admin_user), agent, phone="+44 20 7946 0000").status_code == 302
    agent.refresh_from_db()
    assert agent.phone == "+44 20 7946 0000"
    assert not AccountEvent.objects.exists()


@pytest.fixture
def refuse_account_events():
    """Make the database refuse the next account event, as a full disk or a bug would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'refused for the test' USING ERRCODE = 'check_violation'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER test_refuse BEFORE INSERT ON accounts_accountevent "
                "FOR EACH ROW EXECUTE FUNCTION test_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_refuse BEFORE INSERT ON accounts_accountevent "
                "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END"
            )
    # The test's own transaction is rolled back at its end, the trigger with it (Postgres);
    # SQLite's DDL is transactional too.


def test_when_the_event_cannot_be_written_the_change_is_rolled_back(
    client_as, agent, admin_user, refuse_account_events
):
    with pytest.raises(IntegrityError, match="refused for the test"):
        post_person(client_as(admin_user), agent, role=User.Role.ADMIN, phone="555")
    agent.refresh_from_db()
    assert (agent.role, agent.phone, agent.session_epoch) == (User.Role.AGENT, "", 0)


def test_a_failure_after_the_change_rolls_the_event_back_too(agent, admin_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.set_role(agent, role=User.Role.MANAGER, by=admin_user)
        raise RuntimeError("something later in the same transaction failed")
    agent.refresh_from_db()
    assert agent.role == User.Role.AGENT
    assert not AccountEvent.objects.exists()


def test_deactivating_and_reactivating_are_events(client_as, requester, admin_user):
    admin = client_as(admin_user)
    post_person(admin, requester, is_active=False)
    post_person(admin, requester, is_active=True)
    assert events(requester) == [
        ("deactivated", {"is_active": True}, {"is_active": False}),
        ("reactivated", {"is_active": False}, {"is_active": True}),
    ]


def test_membership_changes_from_either_side_are_events_naming_the_team(
    client_as, agent, second_agent, service_desk, admin_user
):
    network = TeamFactory.create(name="Network")
    admin = client_as(admin_user)
    post_person(admin, agent, teams=[network.pk])  # out of the Service Desk, into Network
    post_team(admin, service_desk, members=[])  # Chloe out
    assert events(agent) == [
        ("team_added", {"team": "Network", "member": False}, {"team": "Network", "member": True}),
        (
            "team_removed",
            {"team": "Service Desk", "member": True},
            {"team": "Service Desk", "member": False},
        ),
    ]
    assert [e.team for e in AccountEvent.objects.filter(person=agent).order_by("pk")] == [
        network,
        service_desk,
    ]
    assert events(second_agent) == [
        (
            "team_removed",
            {"team": "Service Desk", "member": True},
            {"team": "Service Desk", "member": False},
        )
    ]
    assert set(network.members.all()) == {agent}
    assert not service_desk.members.exists()


def test_a_new_team_and_a_change_of_lead_are_events_for_each_person_concerned(
    client_as, agent, manager, service_desk, admin_user
):
    admin = client_as(admin_user)
    assert post_team(admin, name="Identity", members=[agent.pk], lead=manager.pk).status_code == 302
    identity = Team.objects.get(name="Identity")
    assert (
        "team_added",
        {"team": "Identity", "member": False},
        {"team": "Identity", "member": True},
    ) in events(agent)
    post_team(admin, service_desk, lead=agent.pk)  # Maria hands the Service Desk to Sam
    lead_changes = AccountEvent.objects.filter(
        kind=AccountEvent.Kind.TEAM_LEAD_CHANGED, team=service_desk
    )
    assert {event.person for event in lead_changes} == {manager, agent}
    for event in lead_changes:
        assert event.before == {"team": "Service Desk", "lead": "maria@example.com"}
        assert event.after == {"team": "Service Desk", "lead": "sam@example.com"}
    assert AccountEvent.objects.filter(kind="team_lead_changed", team=identity).count() == 1


def test_a_team_with_members_is_emptied_before_it_can_be_deleted(client_as, agent, admin_user):
    """Deleting it would drop the memberships with no event and no sessions ended."""
    admin = client_as(admin_user)
    team = TeamFactory.create(name="Short-lived", members=[agent])
    page = admin.post(reverse("admin:accounts_team_delete", args=[team.pk]), {"post": "yes"})
    assert "Member of Short-lived: Sam Patel" in page.content.decode()
    assert Team.objects.filter(pk=team.pk).exists()
    services.remove_from_team(team, agent, by=admin_user)
    # Emptied, it is still kept: its history names it.
    admin.post(reverse("admin:accounts_team_delete", args=[team.pk]), {"post": "yes"})
    assert Team.objects.filter(pk=team.pk).exists()
    untouched = TeamFactory.create(name="Never used")
    admin.post(reverse("admin:accounts_team_delete", args=[untouched.pk]), {"post": "yes"})
    assert not Team.objects.filter(pk=untouched.pk).exists()


def test_the_history_is_listed_newest_first_and_read_only_in_the_admin(
    client_as, agent, admin_user
):
    services.set_role(agent, role=User.Role.MANAGER, by=admin_user)
    services.set_role(agent, role=User.Role.ADMIN, by=admin_user)
    newest = AccountEvent.objects.order_by("-pk")[0]
    admin = client_as(admin_user)
    listing = admin.get(reverse("admin:accounts_accountevent_changelist"))
    assert listing.status_code == 200
    assert [row.pk for row in listing.context["cl"].result_list][0] == newest.pk
    change = reverse("admin:accounts_accountevent_change", args=[newest.pk])
    assert 'name="_save"' not in admin.get(change).content.decode()
    assert admin.get(reverse("admin:accounts_accountevent_add")).status_code == 403
    assert admin.post(change, {"kind": "deactivated"}).status_code == 403
    delete = reverse("admin:accounts_accountevent_delete", args=[newest.pk])
    assert admin.post(delete, {"post": "yes"}).status_code == 403
    assert AccountEvent.objects.count() == 2


def refused(sql: str, params: list) -> str:
    with pytest.raises(IntegrityError) as raised, transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
    return str(raised.value)


@postgres_only
def test_a_raw_update_or_delete_of_an_account_event_is_refused(agent, admin_user):
    services.set_role(agent, role=User.Role.MANAGER, by=admin_user)
    event = AccountEvent.objects.get()
    message = refused("UPDATE accounts_accountevent SET after = '{}' WHERE id = %s", [event.pk])
    assert "the audit trail is append-only: UPDATE on accounts_accountevent refused" in message
    message = refused("DELETE FROM accounts_accountevent WHERE id = %s", [event.pk])
    assert "the audit trail is append-only: DELETE on accounts_accountevent refused" in message
    event.refresh_from_db()
    assert event.after == {"role": "manager", "is_superuser": False}


@postgres_only
def test_the_people_and_teams_an_event_names_cannot_be_deleted(agent, service_desk, admin_user):
    services.remove_from_team(service_desk, agent, by=admin_user)
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        agent.delete()
    with pytest.raises(ProtectedError):
        service_desk.delete()
