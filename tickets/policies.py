"""SLA policies: the targets a ticket is held to (the clock is in tickets/sla/)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from accounts.models import Department

from .calendars import BusinessCalendar
from .catalogue import Priority, Service


class SLAOutcome(models.TextChoices):
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class SLAPolicy(models.Model):
    """Targets a ticket is held to, matched by priority, service and customer group.

    Blank priority, service or department match any; the most specific active policy
    wins (service over department over priority), and the default policy catches the rest.
    """

    name = models.CharField(max_length=100, unique=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="sla_policies"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies"
    )
    first_response_minutes = models.PositiveIntegerField(
        help_text="Business minutes to the first public reply."
    )
    resolution_minutes = models.PositiveIntegerField(help_text="Business minutes to resolution.")
    next_update_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Business minutes to answer each later message from the requester, once the "
        "first response is given. Blank: no such target.",
    )
    warn_at_percent = models.PositiveSmallIntegerField(
        default=75, help_text="Warn when this share of a target is used."
    )
    escalate_on_breach = models.BooleanField(
        default=True,
        help_text="Raise the priority one level when the resolution target is breached.",
    )
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_sla_policy"
            ),
            models.CheckConstraint(
                condition=Q(first_response_minutes__gt=0), name="sla_response_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(resolution_minutes__gt=0), name="sla_resolution_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(next_update_minutes__isnull=True) | Q(next_update_minutes__gt=0),
                name="sla_update_target_positive",
            ),
            models.CheckConstraint(
                condition=Q(warn_at_percent__gt=0, warn_at_percent__lt=100),
                name="sla_warning_between_0_and_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return 4 * bool(self.service_id) + 2 * bool(self.department_id) + bool(self.priority)
