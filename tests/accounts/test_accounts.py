import re

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind, NotificationPreference, User
from accounts.services import enabled_kinds
from tests.factories import UserFactory
from tickets.notifications import sweep


def test_login_with_email_and_password_lands_on_the_right_home(client, requester, agent):
    response = client.post(
        reverse("accounts:login"),
        {"username": "ella@example.com", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    client.post(reverse("accounts:logout"))
    response = client.post(
        reverse("accounts:login"),
        {"username": "SAM@example.com", "password": "correct horse battery staple"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("workspace:queue")


def test_wrong_password_gets_a_clear_message(client, requester):
    response = client.post(
        reverse("accounts:login"), {"username": "ella@example.com", "password": "nope"}
    )
    assert response.status_code == 200
    assert "don&#39;t match an account" in response.content.decode()


def test_repeated_failures_lock_the_account_for_a_while(client, requester, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(
            reverse("accounts:login"),
            {"username": "ella@example.com", "password": "nope"},
        )
    response = client.post(
        reverse("accounts:login"),
        {"username": "ella@example.com", "password": "correct horse battery staple"},
    )
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.content.decode()


def test_logout_is_a_post(client_as, requester):
    client = client_as(requester)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_password_reset_by_email(client, requester):
    client.post(reverse("accounts:password_reset"), {"email": "ella@example.com"})
    assert mail.outbox == []  # queued in the outbox, sent by the worker
    sweep(now=timezone.now())
    assert len(mail.outbox) == 1
    found = re.search(r"http://\S+/accounts/reset/\S+/", str(mail.outbox[0].body))
    assert found
    link = found.group(0)
    response = client.get(link, follow=True)
    new = "a-brand-new-long-password-2026"
    client.post(response.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    requester.refresh_from_db()
    assert requester.check_password(new)


def test_profile_saves_notification_preferences(client_as, requester):
    client = client_as(requester)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "We received your ticket" in page
    assert "My ticket waits on my answer" in page
    assert "New ticket in my team" not in page  # staff-only kinds are not offered to end users
    assert "A ticket I work on was withdrawn" not in page
    client.post(
        reverse("accounts:profile"),
        {
            "full_name": "Ella M.",
            "job_title": "",
            "phone": "",
            "enabled": [NotificationKind.PUBLIC_REPLY],
        },
    )
    requester.refresh_from_db()
    assert requester.full_name == "Ella M."
    assert NotificationKind.TICKET_RESOLVED not in enabled_kinds(requester)
    assert NotificationKind.PUBLIC_REPLY in enabled_kinds(requester)
    assert NotificationPreference.objects.filter(user=requester, enabled=False).exists()


def test_profile_requires_a_name(client_as, requester):
    response = client_as(requester).post(
        reverse("accounts:profile"), {"full_name": "", "enabled": []}
    )
    assert "This field is required." in response.content.decode()


def test_user_visible_to(requester, agent, other_requester):
    assert set(User.objects.visible_to(requester)) == {requester}
    assert {requester, other_requester, agent} <= set(User.objects.visible_to(agent))


def test_only_admins_reach_the_django_admin(client_as, agent, manager, admin_user):
    assert client_as(agent).get("/admin/").status_code == 302
    assert client_as(manager).get("/admin/").status_code == 302
    assert client_as(admin_user).get("/admin/").status_code == 200


def test_every_admin_page_renders(client_as, admin_user, ticket, agent):
    from tickets import services

    services.add_comment(ticket, body="hi", by=agent)
    client = client_as(admin_user)
    for model in [
        "accounts/user",
        "accounts/team",
        "accounts/department",
        "accounts/notificationpreference",
        "accounts/accountevent",
        "tickets/service",
        "tickets/ticket",
        "tickets/comment",
        "tickets/attachment",
        "tickets/ticketevent",
        "tickets/outboxmessage",
        "tickets/businesscalendar",
        "tickets/slapolicy",
    ]:
        assert client.get(f"/admin/{model}/").status_code == 200, model
    assert client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/user/add/").status_code == 200
    person = client.get(f"/admin/accounts/user/{agent.pk}/change/")
    assert person.status_code == 200 and 'name="teams"' in person.content.decode()
    team = client.get(f"/admin/accounts/team/{agent.teams.get().pk}/change/")
    assert team.status_code == 200 and 'name="members"' in team.content.decode()


def test_create_superuser_with_email(db):
    user = User.objects.create_superuser("Root@Example.com", "pw", full_name="Root")
    assert (user.email, user.is_staff, user.is_admin) == (
        "root@example.com",
        True,
        True,
    )
    assert UserFactory.create().is_staff is False
