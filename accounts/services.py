"""Changes to people: their profile, preferences, and their access (role, activity, teams).

Every change of access is `@transaction.atomic`, records an `AccountEvent` with the values
before and after in the same transaction, and, when it takes access away, raises the person's
session epoch so that every session they have ends (see `User.get_session_auth_hash`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from servicedesk import versions

from .models import AccountEvent, NotificationKind, NotificationPreference, Team, User


@transaction.atomic
def set_notification_preferences(user: User, *, enabled: Collection[str], by: User) -> None:
    """Store which kinds of message a person wants; every other kind is switched off."""
    if by != user and not by.is_admin:
        raise PermissionDenied("Only the person or an admin can change these preferences.")
    for kind in NotificationKind.values:
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"enabled": kind in enabled}
        )


@transaction.atomic
def update_profile(user: User, *, full_name: str, phone: str, job_title: str) -> User:
    user.full_name = full_name.strip()
    user.phone = phone.strip()
    user.job_title = job_title.strip()
    user.save(update_fields=["full_name", "phone", "job_title"])
    versions.bump(versions.PEOPLE)  # a staff member's name shows in every list
    return user


def enabled_kinds(user: User) -> set[str]:
    off = set(
        NotificationPreference.objects.filter(user=user, enabled=False).values_list(
            "kind", flat=True
        )
    )
    return set(NotificationKind.values) - off


def kinds_for(user: User) -> list[tuple[str, str]]:
    """The kinds of message that can reach this person, given their role."""
    requester_kinds = {
        NotificationKind.TICKET_RECEIVED,
        NotificationKind.PUBLIC_REPLY,
        NotificationKind.TICKET_WAITING,
        NotificationKind.TICKET_RESOLVED,
        NotificationKind.SURVEY_INVITATION,
    }
    return [
        (kind, label)
        for kind, label in NotificationKind.choices
        if user.is_staff_member or kind in requester_kinds
    ]


def _require_admin(by: User) -> None:
    if not (by.is_active and by.is_admin):
        raise PermissionDenied("Only an admin can change people's access.")


def _locked(user: User) -> User:
    """The person's row as committed, locked until the change commits.

    The values before the change are read from here, not from `user`: the admin hands over
    an object its form has already edited, and two admins editing one person must not
    record the same "before" twice.
    """
    return User.objects.select_for_update().get(pk=user.pk)


def _end_sessions(user: User, *, locked: User) -> None:
    """Raise the epoch in the session hash: every session of this person ends."""
    user.session_epoch = locked.session_epoch + 1


def _record(
    person: User,
    *,
    kind: AccountEvent.Kind,
    by: User | None,
    before: dict[str, Any],
    after: dict[str, Any],
    team: Team | None = None,
) -> AccountEvent:
    return AccountEvent.objects.create(
        person=person, actor=by, kind=kind, team=team, before=before, after=after
    )


@transaction.atomic
def set_active(user: User, *, active: bool, by: User) -> User:
    """Deactivate or reactivate a person; either way, every session they had ends.

    Ending them on reactivation too means an account switched off by any other road never
    comes back with its old sessions.
    """
    _require_admin(by)
    locked = _locked(user)
    if locked.is_active == active:
        user.is_active = active
        return user
    user.is_active = active
    _end_sessions(user, locked=locked)
    user.save(update_fields=["is_active", "session_epoch"])
    _record(
        user,
        kind=AccountEvent.Kind.REACTIVATED if active else AccountEvent.Kind.DEACTIVATED,
        by=by,
        before={"is_active": locked.is_active},
        after={"is_active": active},
    )
    versions.bump(versions.PEOPLE)
    return user


@transaction.atomic
def set_role(user: User, *, role: str, by: User, is_superuser: bool | None = None) -> User:
    """Give a person another role (and superuser flag); every session they had ends."""
    _require_admin(by)
    if role not in User.Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    locked = _locked(user)
    superuser = locked.is_superuser if is_superuser is None else is_superuser
    before = {"role": locked.role, "is_superuser": locked.is_superuser}
    after = {"role": role, "is_superuser": superuser}
    user.role, user.is_superuser = role, superuser
    if before == after:
        return user
    _end_sessions(user, locked=locked)
    user.save(update_fields=["role", "is_superuser", "session_epoch"])
    _record(user, kind=AccountEvent.Kind.ROLE_CHANGED, by=by, before=before, after=after)
    versions.bump(versions.PEOPLE)
    return user


def _change_membership(
    team: Team, *, added: Collection[User], removed: Collection[User], by: User
) -> None:
    """Add and remove members of one team, one event each; the removed lose their sessions."""
    if added:
        team.members.add(*added)
    if removed:
        team.members.remove(*removed)
    for person in added:
        _record(
            person,
            kind=AccountEvent.Kind.TEAM_ADDED,
            by=by,
            team=team,
            before={"team": team.name, "member": False},
            after={"team": team.name, "member": True},
        )
    for person in removed:
        _end_sessions(person, locked=_locked(person))
        person.save(update_fields=["session_epoch"])
        _record(
            person,
            kind=AccountEvent.Kind.TEAM_REMOVED,
            by=by,
            team=team,
            before={"team": team.name, "member": True},
            after={"team": team.name, "member": False},
        )
    if added or removed:
        versions.bump(versions.PEOPLE)


@transaction.atomic
def set_team_members(team: Team, *, members: Iterable[User], by: User) -> Team:
    """Make `members` the team's members: one event per person added or removed."""
    _require_admin(by)
    # Locks the team so that two admins editing it both see the other's members.
    Team.objects.select_for_update().filter(pk=team.pk).exists()
    current = {person.pk: person for person in team.members.all()}
    wanted = {person.pk: person for person in members}
    _change_membership(
        team,
        added=[wanted[pk] for pk in sorted(wanted.keys() - current.keys())],
        removed=[current[pk] for pk in sorted(current.keys() - wanted.keys())],
        by=by,
    )
    return team


@transaction.atomic
def set_teams(user: User, *, teams: Iterable[Team], by: User) -> User:
    """Make `teams` the teams a person is a member of (the same change, from their side)."""
    _require_admin(by)
    # The person's row stands for their memberships while they change.
    _locked(user)
    current = {team.pk: team for team in user.teams.all()}
    wanted = {team.pk: team for team in teams}
    for pk in sorted(wanted.keys() - current.keys()):
        _change_membership(wanted[pk], added=[user], removed=[], by=by)
    for pk in sorted(current.keys() - wanted.keys()):
        _change_membership(current[pk], added=[], removed=[user], by=by)
    return user


@transaction.atomic
def add_to_team(team: Team, user: User, *, by: User) -> None:
    _require_admin(by)
    if not team.members.filter(pk=user.pk).exists():
        _change_membership(team, added=[user], removed=[], by=by)


@transaction.atomic
def remove_from_team(team: Team, user: User, *, by: User) -> None:
    """Take a person out of a team; every session they had ends."""
    _require_admin(by)
    if team.members.filter(pk=user.pk).exists():
        _change_membership(team, added=[], removed=[user], by=by)


@transaction.atomic
def set_team_lead(team: Team, *, lead: User | None, by: User) -> Team:
    """Give a team another lead (or none): an event for each person concerned.

    The lead sees the team's queues and breaches; the former lead loses that, so every
    session they had ends.
    """
    _require_admin(by)
    locked = Team.objects.select_for_update(of=("self",)).select_related("lead").get(pk=team.pk)
    former = locked.lead
    team.lead = lead
    if (former.pk if former else None) == (lead.pk if lead else None):
        return team
    team.save(update_fields=["lead"])
    before = {"team": team.name, "lead": former.email if former else None}
    after = {"team": team.name, "lead": lead.email if lead else None}
    for person in (former, lead):
        if person is None:
            continue
        _record(
            person,
            kind=AccountEvent.Kind.TEAM_LEAD_CHANGED,
            by=by,
            team=team,
            before=before,
            after=after,
        )
    if former is not None:
        _end_sessions(former, locked=_locked(former))
        former.save(update_fields=["session_epoch"])
    versions.bump(versions.PEOPLE)
    return team
