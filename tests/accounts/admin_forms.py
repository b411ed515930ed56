"""What the Django admin's person and team forms post, built from the rows (tests only)."""

from django.test import Client
from django.urls import reverse

from accounts.models import Team, User


def post_person(client: Client, person: User, **changes: object):
    """Post the admin's change form of `person` with their current values and `changes`."""
    person.refresh_from_db()
    data: dict[str, object] = {
        "email": person.email,
        "full_name": person.full_name,
        "job_title": person.job_title,
        "phone": person.phone,
        "department": person.department_id or "",
        "role": person.role,
        "is_active": person.is_active,
        "is_superuser": person.is_superuser,
        "teams": [team.pk for team in person.teams.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    for flag in ("is_active", "is_superuser"):
        if data[flag]:
            data[flag] = "on"
        else:
            del data[flag]
    return client.post(reverse("admin:accounts_user_change", args=[person.pk]), data)


def post_team(client: Client, team: Team | None = None, **changes: object):
    """Post the admin's change form of `team` (or its add form) with `changes`."""
    data: dict[str, object] = {"name": "", "tier": 1, "lead": "", "members": []}
    if team is not None:
        team.refresh_from_db()
        data.update(
            name=team.name,
            tier=team.tier,
            lead=team.lead_id or "",
            members=[person.pk for person in team.members.all()],
        )
    data.update(changes)
    url = (
        reverse("admin:accounts_team_change", args=[team.pk])
        if team is not None
        else reverse("admin:accounts_team_add")
    )
    return client.post(url, data)
