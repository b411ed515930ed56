from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.functional import cached_property


class Department(models.Model):
    """A customer group: the part of the organisation a person belongs to."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserQuerySet(models.QuerySet["User"]):
    def visible_to(self, user: User) -> UserQuerySet:
        """People a user may look up: end users see only themselves, staff see everyone."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff_member:
            return self.all()
        return self.filter(pk=user.pk)

    def staff(self) -> UserQuerySet:
        return self.filter(role__in=User.STAFF_ROLES, is_active=True)


# django-stubs can't take a from_queryset() of BaseUserManager as a base class.
class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        """People type their email in any case; addresses are stored lower case."""
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("role", User.Role.ADMIN)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        END_USER = "end_user", "End user"
        AGENT = "agent", "Agent"
        MANAGER = "manager", "Manager"
        ADMIN = "admin", "Admin"

    STAFF_ROLES = (Role.AGENT, Role.MANAGER, Role.ADMIN)

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.END_USER)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Raised by the services that take access away (deactivated, role changed, removed from a
    # team or as its lead). It is part of the session hash, so every session signed in before
    # no longer verifies and Django logs it out on its next request, whatever the session backend.
    # The database default serves rows inserted without the ORM (the benchmark seed).
    session_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # The latest expiry of the survey invitations sent to the person, raised by the surveys
    # when they invite: past it (or never set) no survey can be waiting, so the portal does
    # not look for one. Kept by those UPDATEs alone (see `save`).
    surveys_open_until = models.DateTimeField(null=True, blank=True, editable=False)

    objects = UserManager()

    # Written by their own UPDATEs, never by a save of the whole row: a row read before one
    # of them and saved after would otherwise put the old value back.
    KEPT_APART = ("surveys_open_until",)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and kwargs.get("update_fields") is None:
            deferred = self.get_deferred_fields()  # as Django's own save leaves them
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key
                and field.name not in self.KEPT_APART
                and field.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_staff(self) -> bool:
        """Only admins reach the Django admin."""
        return self.is_active and (self.role == self.Role.ADMIN or self.is_superuser)

    @property
    def is_staff_member(self) -> bool:
        """Agents, managers and admins: the people who work tickets."""
        return self.role in self.STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @cached_property
    def team_ids(self) -> list[int]:
        """The teams this person belongs to or leads, read once per request."""
        return list(Team.objects.of(self).order_by().values_list("pk", flat=True))

    def get_session_auth_hash(self) -> str:
        return self._access_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._access_hash(secret=fallback_secret)

    def _access_hash(self, *, secret: str | bytes | None) -> str:
        """Django's HMAC of the password hash, with the session epoch mixed in once raised.

        At epoch 0 it is exactly Django's own, so sessions signed in before the epoch existed
        still verify; a password change (Django) or a bumped epoch (ours) ends them.
        """
        value = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def has_perm(self, perm: str, obj: models.Model | None = None) -> bool:
        if self.is_active and self.is_admin:
            return True
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        if self.is_active and self.is_admin:
            return True
        return super().has_module_perms(app_label)


class TeamQuerySet(models.QuerySet["Team"]):
    def visible_to(self, user: User) -> TeamQuerySet:
        """Staff see every team (to hand tickets over); end users see none."""
        if user.is_authenticated and user.is_active and user.is_staff_member:
            return self.all()
        return self.none()

    def of(self, user: User) -> TeamQuerySet:
        """Teams a person belongs to, or leads."""
        return self.filter(Q(members=user) | Q(lead=user)).distinct()


class Team(models.Model):
    """An assignment group: the agents who work one part of the catalogue."""

    class Tier(models.IntegerChoices):
        TIER_1 = 1, "Tier 1"
        TIER_2 = 2, "Tier 2"
        TIER_3 = 3, "Tier 3"

    name = models.CharField(max_length=120, unique=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_1)
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["tier", "name"]

    def __str__(self) -> str:
        return self.name


class AccountEvent(models.Model):
    """One change of a person's access: who changed what, from what to what, and when.

    Written by the services in accounts/services.py in the transaction of the change. On
    Postgres a trigger refuses UPDATE and DELETE (migration 0005), as for ticket events, so
    the people and teams an event names are protected: deactivate people, empty teams.
    """

    class Kind(models.TextChoices):
        ROLE_CHANGED = "role_changed", "Role changed"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        TEAM_ADDED = "team_added", "Added to a team"
        TEAM_REMOVED = "team_removed", "Removed from a team"
        TEAM_LEAD_CHANGED = "team_lead_changed", "Team lead changed"

    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="account_events")
    # Null when the system made the change (a management command, a data migration).
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="account_events"
    )
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["person", "-created_at"], name="account_event_person")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person}"


class PasswordResetCounter(models.Model):
    """How many password resets one address, or one client, asked for in one hour.

    The scope is a keyed hash ("address:..." or "client:..."), so the table holds neither the
    addresses people typed nor their IP addresses. See accounts/password_reset.py.
    """

    scope = models.CharField(max_length=64)
    hour = models.PositiveBigIntegerField()  # hours since the Unix epoch
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "hour"], name="one_counter_per_scope_hour")
        ]
        indexes = [models.Index(fields=["hour"], name="password_reset_counter_hour")]

    def __str__(self) -> str:
        return f"{self.scope[:8]}… {self.count} in hour {self.hour}"


class NotificationKind(models.TextChoices):
    """Every kind of message Servicedesk sends to a person; each can be switched off."""

    TICKET_RECEIVED = "ticket_received", "We received your ticket"
    TICKET_IN_QUEUE = "ticket_in_queue", "New ticket in my team's queue"
    TICKET_ASSIGNED = "ticket_assigned", "A ticket was assigned to me"
    PUBLIC_REPLY = "public_reply", "A new reply on a ticket"
    TICKET_WAITING = "ticket_waiting", "My ticket waits on my answer"
    TICKET_RESOLVED = "ticket_resolved", "My ticket was resolved"
    TICKET_REOPENED = "ticket_reopened", "A ticket I work on was reopened"
    TICKET_WITHDRAWN = "ticket_withdrawn", "A ticket I work on was withdrawn"
    SLA_WARNING = "sla_warning", "A ticket I work on nears its SLA target"
    SLA_BREACHED = "sla_breached", "A ticket in a team I lead breached its SLA"
    SURVEY_INVITATION = "survey_invitation", "Short surveys about how we did (and one reminder)"


class NotificationPreference(models.Model):
    """An opt-out: a row with enabled=False silences one kind of message for one person."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="unique_preference_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {'on' if self.enabled else 'off'}"
