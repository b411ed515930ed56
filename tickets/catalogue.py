"""The services catalogue and the ITIL priority matrix."""

from __future__ import annotations

from django.db import models

from accounts.models import Team, User


class ServiceQuerySet(models.QuerySet["Service"]):
    def active(self) -> ServiceQuerySet:
        return self.filter(is_active=True)

    def visible_to(self, user: User) -> ServiceQuerySet:
        """End users pick from the active catalogue; staff also see retired services."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all() if user.is_staff_member else self.active()


class Service(models.Model):
    """An entry in the IT services catalogue, owned by one team."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    is_active = models.BooleanField(default=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 Critical"
    P2 = 2, "P2 High"
    P3 = 3, "P3 Moderate"
    P4 = 4, "P4 Low"
    P5 = 5, "P5 Planning"


# ITIL impact x urgency matrix.
PRIORITY_MATRIX: dict[tuple[str, str], int] = {
    (Level.HIGH, Level.HIGH): Priority.P1,
    (Level.HIGH, Level.MEDIUM): Priority.P2,
    (Level.MEDIUM, Level.HIGH): Priority.P2,
    (Level.HIGH, Level.LOW): Priority.P3,
    (Level.MEDIUM, Level.MEDIUM): Priority.P3,
    (Level.LOW, Level.HIGH): Priority.P3,
    (Level.MEDIUM, Level.LOW): Priority.P4,
    (Level.LOW, Level.MEDIUM): Priority.P4,
    (Level.LOW, Level.LOW): Priority.P5,
}


def priority_for(impact: str, urgency: str) -> int:
    return PRIORITY_MATRIX[(Level(impact), Level(urgency))]
