from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.db import connections, models
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Team, User

# The app's other model modules, imported here so Django registers them and so
# `tickets.models` stays the one place the rest of the code imports models from.
from .calendars import BusinessCalendar, Holiday, WorkingHours  # noqa: F401
from .catalogue import PRIORITY_MATRIX, Level, Priority, Service, ServiceQuerySet, priority_for  # noqa: F401
from .policies import SLAOutcome, SLAPolicy  # noqa: F401
from .search import words_match

if TYPE_CHECKING:
    from .sla_reports import Standing


def ticket_visibility(user: User, via: str = "") -> Q:
    """Which tickets `user` may see, as a condition on the tickets reached through `via`.

    Comments, attachments and events pass `via="ticket__"`: a join on the ticket they
    belong to, which Django builds and Postgres runs faster than `ticket__in=<subquery>`.
    """
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_admin:
        return Q()
    if user.is_staff_member:
        return Q(**{f"{via}team_id__in": user.team_ids}) | Q(**{f"{via}assignee": user})
    return Q(**{f"{via}requester": user})


def queue_teams(user: User) -> models.QuerySet[Team]:
    """The teams whose tickets `user` sees, by the rule of `ticket_visibility`.

    Agents and managers see their teams' tickets (`team_ids`: the teams they belong to or
    lead) and admins every ticket; end users see tickets they requested, whatever the team.
    """
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_admin:
        return Team.objects.all()
    if user.is_staff_member:
        return Team.objects.filter(pk__in=user.team_ids)
    return Team.objects.none()


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, user: User) -> TicketQuerySet:
        """The only road to tickets.

        End users see the tickets they requested; agents their teams' tickets and
        tickets assigned to them; managers the same for the teams they belong to or
        lead; admins everything.
        """
        return self.filter(ticket_visibility(user))

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=Ticket.OPEN_STATUSES)

    def queue_counts(self, user: User) -> dict[str, int]:
        """Open tickets in each workspace queue, in one query.

        They count the team column (never null) rather than ids: then they read only the
        team and assignee of open tickets, an index-only scan of `ticket_open_team_assignee`.
        """
        in_teams = Q(team_id__in=user.team_ids)
        return self.open().aggregate(
            unassigned=Count("team_id", filter=in_teams & Q(assignee__isnull=True)),
            mine=Count("team_id", filter=Q(assignee=user)),
            team=Count("team_id", filter=in_teams),
            all=Count("team_id"),
        )

    def in_queue(self, name: str, user: User) -> TicketQuerySet:
        """The agent workspace's queues, on top of what the user may see."""
        if name == "mine":
            return self.filter(assignee=user)
        if name in ("unassigned", "team"):
            qs = self.filter(team_id__in=user.team_ids)
            return qs.filter(assignee__isnull=True) if name == "unassigned" else qs
        return self

    def search(self, text: str) -> TicketQuerySet:
        """Tickets holding every word of `text` (see tickets/search.py).

        A ticket number (INC-000123, #123, 123) also finds that ticket, besides the
        tickets that mention it: "404" finds ticket 404 and an "error 404".
        """
        number = Ticket.parse_number(text)
        query = words_match(text.strip(), vendor=connections[self.db].vendor, number=number)
        if number is not None:
            query |= Q(pk=number)
        return self.filter(query)


class Ticket(models.Model):
    class Category(models.TextChoices):
        INCIDENT = "incident", "Incident"
        REQUEST = "request", "Service request"

    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "In progress"
        PENDING = "pending", "Waiting on requester"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class PrioritySource(models.TextChoices):
        MATRIX = "matrix", "Impact × urgency"
        MANUAL = "manual", "Set by hand"
        ESCALATED = "escalated", "Raised on SLA breach"

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
    FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)
    NUMBER_PREFIX: dict[str, str] = {Category.INCIDENT: "INC", Category.REQUEST: "REQ"}
    # Where a queue row stands on its SLA: set on a page's rows by sla_reports.standings.
    sla: Standing

    subject = models.CharField(max_length=200)
    description = models.TextField()
    requester = models.ForeignKey(User, on_delete=models.PROTECT, related_name="requested_tickets")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="tickets")
    category = models.CharField(max_length=16, choices=Category.choices, default=Category.INCIDENT)
    impact = models.CharField(max_length=8, choices=Level.choices, default=Level.LOW)
    urgency = models.CharField(max_length=8, choices=Level.choices, default=Level.LOW)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P5)
    # Whether the priority still comes from impact x urgency: a manual change or an SLA
    # escalation overrides the matrix, and the ticket page must not claim otherwise.
    priority_source = models.CharField(
        max_length=16,
        choices=PrioritySource.choices,
        default=PrioritySource.MATRIX,
        db_default=PrioritySource.MATRIX,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    # The SLA clock (see tickets/sla/). Business minutes used before `sla_running_since`
    # are in `sla_elapsed_minutes`; a paused or stopped clock has no running_since.
    sla_policy = models.ForeignKey(
        SLAPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_running_since = models.DateTimeField(null=True, blank=True)
    sla_elapsed_minutes = models.FloatField(default=0, db_default=0)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    # Database defaults too, so bulk loads in SQL (the benchmark's) need not name them.
    response_outcome = models.CharField(
        max_length=8, choices=SLAOutcome.choices, blank=True, default="", db_default=""
    )
    resolution_outcome = models.CharField(
        max_length=8, choices=SLAOutcome.choices, blank=True, default="", db_default=""
    )
    response_warned_at = models.DateTimeField(null=True, blank=True)
    resolution_warned_at = models.DateTimeField(null=True, blank=True)
    response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    # The next-update target: owed from the requester's first unanswered message since the
    # first response (`update_owed_since`) until an agent's public reply.
    update_owed_since = models.DateTimeField(null=True, blank=True)
    update_due_at = models.DateTimeField(null=True, blank=True)
    update_warned_at = models.DateTimeField(null=True, blank=True)
    update_breached_at = models.DateTimeField(null=True, blank=True)
    # The nearest unmet target (for sorting) and when the beat task should next look.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    next_sla_check_at = models.DateTimeField(null=True, blank=True)

    # Files sent with the ticket or its comments, kept by the services that store them, so a
    # ticket page reads attachments only when there are some (most tickets have none).
    attachment_count = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    # Guards against a double submit: the portal form carries a one-time token, unique per
    # requester, so someone else's token never leads to their ticket.
    submission_token = models.UUIDField(null=True, blank=True, editable=False)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "submission_token"],
                condition=Q(submission_token__isnull=False),
                name="one_ticket_per_requester_token",
            )
        ]
        indexes = [
            models.Index(fields=["team", "status", "priority"], name="ticket_team_status_prio"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["requester", "-updated_at"], name="ticket_requester_updated"),
            # The agent queues read open tickets only: a few thousand among a million.
            models.Index(
                fields=["team", "priority", "created_at"],
                condition=Q(status__in=["new", "open", "pending"]),
                name="ticket_open_team_queue",
            ),
            models.Index(
                fields=["assignee", "priority", "created_at"],
                condition=Q(status__in=["new", "open", "pending"]),
                name="ticket_open_assignee_queue",
            ),
            # The queue counts read both columns of every open ticket: an index-only scan.
            models.Index(
                fields=["team", "assignee"],
                condition=Q(status__in=["new", "open", "pending"]),
                name="ticket_open_team_assignee",
            ),
            models.Index(fields=["created_at"], name="ticket_created"),
            models.Index(fields=["resolved_at"], name="ticket_resolved_at"),
            # A manager's flow counts: tickets of their teams created or resolved lately.
            models.Index(fields=["team", "created_at"], name="ticket_team_created"),
            models.Index(fields=["team", "resolved_at"], name="ticket_team_resolved"),
            # The SLA beat task reads only tickets whose next check is due.
            models.Index(
                fields=["next_sla_check_at"],
                condition=Q(next_sla_check_at__isnull=False),
                name="ticket_sla_check",
            ),
            models.Index(
                fields=["team", "sla_due_at"],
                condition=Q(status__in=["new", "open", "pending"]),
                name="ticket_open_team_due",
            ),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(
                fields=["resolved_at"], condition=Q(status="resolved"), name="ticket_resolved_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"

    @property
    def number(self) -> str:
        return f"{self.NUMBER_PREFIX.get(self.category, 'INC')}-{self.pk:06d}"

    @staticmethod
    def parse_number(text: str) -> int | None:
        """Read INC-000123, REQ-123, #123 or 123 as a ticket id."""
        cleaned = text.strip().upper().lstrip("#")
        for prefix in ("INC-", "REQ-", "INC", "REQ"):
            if cleaned.startswith(prefix):
                cleaned = cleaned[len(prefix) :]
                break
        return int(cleaned) if cleaned.isdigit() and len(cleaned) <= 12 else None

    # Labels for long lists: get_FOO_display() builds the choices dict on every call.
    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def priority_label(self) -> str:
        return PRIORITY_LABELS.get(self.priority, str(self.priority))

    @property
    def priority_basis(self) -> str:
        """Where the priority comes from, for the line beside it: "impact medium, urgency low",
        "set by hand" or "raised on SLA breach"."""
        if self.priority_source == self.PrioritySource.MATRIX:
            impact, urgency = (
                LEVEL_LABELS.get(self.impact, self.impact),
                LEVEL_LABELS.get(self.urgency, self.urgency),
            )
            return f"impact {impact.lower()}, urgency {urgency.lower()}"
        label = PRIORITY_SOURCE_LABELS[self.priority_source]
        return label[:1].lower() + label[1:]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


class CommentQuerySet(models.QuerySet["Comment"]):
    def visible_to(self, user: User) -> CommentQuerySet:
        """Comments on tickets the user may see; end users never see internal notes."""
        qs = self.filter(ticket_visibility(user, via="ticket__"))
        if not user.is_authenticated or not user.is_staff_member:
            qs = qs.filter(is_internal=False)
        return qs

    def for_thread(self) -> CommentQuerySet:
        """What a conversation shows of each message and its author, and no more."""
        return self.select_related("author").only(
            "ticket_id",
            "author_id",
            "body",
            "is_internal",
            "created_at",
            "author__full_name",
            "author__email",
        )


class Comment(models.Model):
    """A public reply or an internal note on a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_created")]

    def __str__(self) -> str:
        return f"{'Note' if self.is_internal else 'Reply'} on {self.ticket_id} by {self.author_id}"


def attachment_storage_name(instance: Attachment, filename: str) -> str:
    """Store under a random name; the uploaded name is kept only as data."""
    suffix = PurePath(filename).suffix.lower()[:10]
    today = timezone.now()
    return f"attachments/{today:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: User) -> AttachmentQuerySet:
        qs = self.filter(ticket_visibility(user, via="ticket__"))
        if not user.is_authenticated or not user.is_staff_member:
            qs = qs.filter(Q(comment__isnull=True) | Q(comment__is_internal=False))
        return qs

    def by_comment(self) -> dict[int | None, list[Attachment]]:
        """One read for a whole thread, grouped by comment (None: sent with the ticket)."""
        grouped: dict[int | None, list[Attachment]] = {}
        for attachment in self:
            grouped.setdefault(attachment.comment_id, []).append(attachment)
        return grouped


class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(upload_to=attachment_storage_name, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class TicketEventQuerySet(models.QuerySet["TicketEvent"]):
    def visible_to(self, user: User) -> TicketEventQuerySet:
        """The audit trail is for staff; end users see the thread, not the history."""
        if not user.is_authenticated or not user.is_staff_member:
            return self.none()
        return self.filter(ticket_visibility(user, via="ticket__"))


class TicketEvent(models.Model):
    """Append-only audit trail: one row per change, written by the service that made it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        STATUS_CHANGED = "status_changed", "Status changed"
        ASSIGNED = "assigned", "Assigned"
        TAKEN = "taken", "Taken"
        UPDATED = "updated", "Updated"
        REPLIED = "replied", "Replied"
        NOTE_ADDED = "note_added", "Internal note"
        ATTACHMENT_ADDED = "attachment_added", "Attachment added"
        SLA_PAUSED = "sla_paused", "SLA clock paused"
        SLA_RESUMED = "sla_resumed", "SLA clock resumed"
        SLA_MET = "sla_met", "SLA target met"
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACHED = "sla_breached", "SLA target breached"
        SLA_POLICY = "sla_policy", "SLA policy applied"
        SLA_UPDATE_OWED = "sla_update_owed", "SLA update owed"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    # Protected: setting a deleted person's events to no actor would rewrite the audit trail.
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_created")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id}"

    @property
    def kind_label(self) -> str:
        """get_kind_display() without building the choices dict: a history lists hundreds."""
        return EVENT_KIND_LABELS.get(self.kind, self.kind)


STATUS_LABELS: dict[str, str] = dict(Ticket.Status.choices)
PRIORITY_LABELS: dict[int, str] = dict(Priority.choices)
LEVEL_LABELS: dict[str, str] = dict(Level.choices)
PRIORITY_SOURCE_LABELS: dict[str, str] = dict(Ticket.PrioritySource.choices)
EVENT_KIND_LABELS: dict[str, str] = dict(TicketEvent.Kind.choices)


class OutboxMessageQuerySet(models.QuerySet["OutboxMessage"]):
    def visible_to(self, user: User) -> OutboxMessageQuerySet:
        return self.all() if user.is_authenticated and user.is_admin else self.none()

    def due(self, now: object) -> OutboxMessageQuerySet:
        return self.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)


class OutboxMessage(models.Model):
    """One email to one person, written in the transaction that caused it.

    Delivery happens after commit; a row that exists was committed, so a rolled back
    change never sends anything, and a broker outage only delays the row until the
    beat sweep picks it up. Most messages are about a ticket event; others (a password
    reset, a survey invitation) name their subject in `payload`, carry a unique `key`,
    and are rendered by the renderer their app registered for the `kind`.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=32)
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        TicketEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OutboxMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "kind"],
                name="one_message_per_event_recipient",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="outbox_pending_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="outbox_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.status})"
