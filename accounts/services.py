from __future__ import annotations

from collections.abc import Collection

from django.core.exceptions import PermissionDenied
from django.db import transaction

from servicedesk import versions

from .models import NotificationKind, NotificationPreference, User


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
