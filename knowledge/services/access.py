"""Who may write and who may publish: staff write, knowledge editors publish and review."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.models import User


def can_publish(user: User) -> bool:
    """Knowledge editors: managers and admins always, agents given the editor flag."""
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        return False
    return user.is_manager or user.is_admin or user.has_perm("knowledge.publish_article")


def require_staff(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        raise PermissionDenied("Only service desk staff write articles.")


def require_editor(user: User) -> None:
    if not can_publish(user):
        raise PermissionDenied(
            "Only knowledge editors (managers, admins and agents with the editor flag) "
            "can publish, retire or review articles."
        )
