"""Surveys: who is asked what and when (rules, the budget), invitations, answers,
follow-ups of low answers, and the anonymous agent pulse.

The score formulas are PRODUCT.md's: CSAT 1-5 (share of 4-5), NPS 0-10 (% promoters 9-10
minus % detractors 0-6), CES 1-7 (mean, and share agreeing 5-7).
"""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Department, Team, User
from tickets.models import OutboxMessage, Service, Ticket, ticket_visibility


class Instrument(models.TextChoices):
    CSAT = "csat", "Customer satisfaction (CSAT)"
    NPS = "nps", "Net Promoter Score (NPS)"
    CES = "ces", "Customer effort (CES)"


# The scores each instrument takes, both ends included (PRODUCT.md).
SCORE_RANGES: dict[str, tuple[int, int]] = {
    Instrument.CSAT: (1, 5),
    Instrument.NPS: (0, 10),
    Instrument.CES: (1, 7),
}


def score_in_range(prefix: str = "") -> Q:
    """The database's own check that a score fits its instrument's range."""
    condition = Q()
    for index, (instrument, (low, high)) in enumerate(SCORE_RANGES.items()):
        part = Q(
            **{
                f"{prefix}instrument": instrument,
                f"{prefix}score__gte": low,
                f"{prefix}score__lte": high,
            }
        )
        condition = part if index == 0 else condition | part
    return condition


QS = TypeVar("QS", bound=models.QuerySet)


def staff_only(queryset: QS, user: User) -> QS:
    """Everything for staff, nothing for anyone else."""
    if user.is_authenticated and user.is_active and user.is_staff_member:
        return queryset.all()
    return queryset.none()


class SurveySettingsQuerySet(models.QuerySet["SurveySettings"]):
    def visible_to(self, user: User) -> SurveySettingsQuerySet:
        return staff_only(self, user)


class SurveySettings(models.Model):
    """The one row of survey settings that hold across rules: the per-person budget,
    the relationship NPS cadence and the thresholds of a low answer.

    The budget is one per person across every instrument: nobody is invited more than
    once in `budget_days`, whatever the survey. The invitation beat locks this row, so two
    runs never invite the same person or ticket twice.
    """

    budget_days = models.PositiveSmallIntegerField(
        default=14,
        help_text="No person gets more than one invitation in this many days, whatever the survey.",
    )
    nps_enabled = models.BooleanField(
        default=True, help_text="Ask active requesters the relationship NPS question."
    )
    nps_every_days = models.PositiveSmallIntegerField(
        default=90, help_text="At most one NPS invitation per person in this many days."
    )
    nps_sample_percent = models.PositiveSmallIntegerField(
        default=20, help_text="Share of active requesters asked in each period, in %."
    )
    nps_active_within_days = models.PositiveSmallIntegerField(
        default=90, help_text="A requester is active with a ticket logged in this many days."
    )
    nps_remind_after_days = models.PositiveSmallIntegerField(
        null=True, blank=True, default=5, help_text="Blank: no reminder."
    )
    nps_expire_after_days = models.PositiveSmallIntegerField(default=21)
    # A low answer opens a follow-up for the team lead (at most this score).
    csat_low_at_most = models.PositiveSmallIntegerField(default=2)
    nps_low_at_most = models.PositiveSmallIntegerField(default=6)
    ces_low_at_most = models.PositiveSmallIntegerField(default=3)
    change_window_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="How long after answering a person may change the answer."
    )

    objects = SurveySettingsQuerySet.as_manager()

    class Meta:
        verbose_name = "survey settings"
        verbose_name_plural = "survey settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="survey_settings_single_row"),
            models.CheckConstraint(condition=Q(budget_days__gte=1), name="survey_budget_positive"),
            models.CheckConstraint(
                condition=Q(nps_sample_percent__lte=100), name="survey_nps_sample_percent"
            ),
            models.CheckConstraint(
                condition=Q(
                    csat_low_at_most__lte=5, nps_low_at_most__lte=10, ces_low_at_most__lte=7
                ),
                name="survey_low_thresholds_in_range",
            ),
        ]

    def __str__(self) -> str:
        return "Survey settings"

    @classmethod
    def load(cls) -> SurveySettings:
        """The settings row, created with the defaults the first time it is read."""
        settings, _ = cls.objects.get_or_create(pk=1)
        return settings


class SurveyRuleQuerySet(models.QuerySet["SurveyRule"]):
    def visible_to(self, user: User) -> SurveyRuleQuerySet:
        return staff_only(self, user)

    def active(self) -> SurveyRuleQuerySet:
        return self.filter(is_active=True)


class SurveyRule(models.Model):
    """What follows a resolution, matched by service and department.

    Blank service or department match any; the most specific active rule wins (service
    and department over service over department), and the default rule catches the rest.
    """

    name = models.CharField(max_length=100, unique=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_rules"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_rules"
    )
    ask_csat = models.BooleanField(default=True, help_text="The CSAT question, in the email.")
    ask_ces = models.BooleanField(
        default=False,
        help_text="The CES question: on the answer page after CSAT, or in the email without it.",
    )
    delay_minutes = models.PositiveIntegerField(
        default=60, help_text="Minutes after the resolution before the invitation goes out."
    )
    sample_percent = models.PositiveSmallIntegerField(
        default=100, help_text="Share of resolved tickets surveyed, in %."
    )
    remind_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=3,
        help_text="One reminder after this many days. Blank: none.",
    )
    expire_after_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days after the invitation when its link stops working."
    )
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    objects = SurveyRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_survey_rule"
            ),
            models.CheckConstraint(
                condition=Q(sample_percent__lte=100), name="survey_rule_sample_percent"
            ),
            models.CheckConstraint(
                condition=Q(expire_after_days__gte=1), name="survey_rule_expiry_positive"
            ),
            models.CheckConstraint(
                condition=Q(remind_after_days__isnull=True)
                | Q(remind_after_days__lt=models.F("expire_after_days")),
                name="survey_rule_reminder_before_expiry",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return 2 * bool(self.service_id) + bool(self.department_id)

    @property
    def instrument(self) -> str | None:
        """The question the email asks: CSAT, else CES, else none (a rule that surveys nothing)."""
        if self.ask_csat:
            return Instrument.CSAT
        return Instrument.CES if self.ask_ces else None


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def visible_to(self, user: User) -> InvitationQuerySet:
        """People see their own invitations; staff those about tickets they may see."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_staff_member:
            return self.filter(ticket_visibility(user, via="ticket__"))
        return self.filter(person=user)

    def open(self) -> InvitationQuerySet:
        return self.filter(status__in=Invitation.OPEN_STATUSES)

    def counted_in_budget(self) -> InvitationQuerySet:
        """Invitations that used a person's budget: every one except the skipped decisions."""
        return self.exclude(status=Invitation.Status.SKIPPED)


class Invitation(models.Model):
    """One survey asked of one person: about a resolved ticket, or the relationship (NPS).

    Every resolved ticket gets exactly one row (a unique constraint), written by the
    invitation beat when the ticket is due: an invitation with its email, or a SKIPPED
    decision saying why not (not sampled, over the budget, opted out), so each ticket is
    weighed once and never again. Service, team, agent and department are copied from
    the ticket when invited, so scores by any of them read this table alone.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Queued"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Not invited"

    class SkipReason(models.TextChoices):
        NOT_SAMPLED = "not_sampled", "Not in the sample"
        BUDGET = "budget", "Surveyed recently"
        UNREACHABLE = "unreachable", "No active email address"
        OPTED_OUT = "opted_out", "Turned survey mail off"
        FOLLOW_UP_OPEN = "follow_up_open", "A follow-up is open"
        NO_RULE = "no_rule", "No rule asks a question"

    OPEN_STATUSES = (Status.PENDING, Status.SENT)

    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_invitations"
    )
    # Indexed by survey_invitation_person (person, created_at), which serves lookups by person.
    person = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="survey_invitations", db_index=False
    )
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    asks_ces = models.BooleanField(
        default=False, help_text="The answer page also asks the CES question."
    )
    # This and the copies below are read with the rows of a period (created_at), never looked
    # up alone: no index each, since a beat run inserts thousands of rows and every index costs.
    rule = models.ForeignKey(
        SurveyRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    skip_reason = models.CharField(max_length=16, choices=SkipReason.choices, blank=True)
    # The resolution this invitation asks about: a reopened ticket no longer has it.
    resolved_at = models.DateTimeField(null=True, blank=True)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    agent = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    remind_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Part of every answer link's signed token: a new nonce voids the links already sent.
    nonce = models.CharField(max_length=32, blank=True)
    message = models.OneToOneField(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_message = models.OneToOneField(
        OutboxMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], name="one_survey_invitation_per_ticket"),
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(instrument=Instrument.NPS),
                name="survey_invitation_about_ticket_or_nps",
            ),
            models.CheckConstraint(
                condition=Q(asks_ces=False) | Q(instrument=Instrument.CSAT),
                name="survey_invitation_ces_after_csat",
            ),
            models.CheckConstraint(
                condition=Q(status="skipped") | Q(expires_at__isnull=False, nonce__gt=""),
                name="survey_invitation_has_link",
            ),
            models.CheckConstraint(
                condition=Q(status="skipped", skip_reason__gt="")
                | (~Q(status="skipped") & Q(skip_reason="")),
                name="survey_invitation_skip_reason",
            ),
        ]
        indexes = [
            # The budget: a person's invitations of the last N days.
            models.Index(fields=["person", "created_at"], name="survey_invitation_person"),
            # Expiry, the queued-to-sent step and cancelling reopened tickets read open rows only.
            models.Index(
                fields=["expires_at"],
                condition=Q(status__in=["pending", "sent"]),
                name="survey_invitation_open",
            ),
            models.Index(
                fields=["remind_at"],
                condition=Q(status="sent", reminded_at__isnull=True, remind_at__isnull=False),
                name="survey_invitation_remind",
            ),
            models.Index(fields=["created_at"], name="survey_invitation_created"),
        ]

    def __str__(self) -> str:
        about = f"ticket {self.ticket_id}" if self.ticket_id else "the relationship"
        return f"{self.get_instrument_display()} about {about} to {self.person_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_relationship(self) -> bool:
        return self.ticket_id is None


class AnswerQuerySet(models.QuerySet["Answer"]):
    def visible_to(self, user: User) -> AnswerQuerySet:
        """Answers by the road to their invitation: own ones, or on tickets staff may see."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_admin:
            return self.all()
        if user.is_staff_member:
            return self.filter(ticket_visibility(user, via="invitation__ticket__"))
        return self.filter(invitation__person=user)


class Answer(models.Model):
    """One score for one instrument of an invitation (CSAT and the CES after it are two rows).

    The database checks each score against its instrument's range, and allows one answer
    per instrument per invitation, so a double submit stores one row. A changed answer
    (within the settings' window) keeps its row and records `changed_at`.
    """

    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="answers")
    instrument = models.CharField(max_length=8, choices=Instrument.choices)
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(null=True, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["-answered_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["invitation", "instrument"], name="one_answer_per_instrument"
            ),
            models.CheckConstraint(condition=score_in_range(), name="survey_score_in_range"),
        ]
        indexes = [models.Index(fields=["instrument", "answered_at"], name="answer_instrument_at")]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.score} (invitation {self.invitation_id})"


class FollowUpQuerySet(models.QuerySet["FollowUp"]):
    def visible_to(self, user: User) -> FollowUpQuerySet:
        """Admins see every follow-up; staff those they own or of the teams they are in or lead."""
        if not user.is_authenticated or not user.is_active or not user.is_staff_member:
            return self.none()
        if user.is_admin:
            return self.all()
        return self.filter(Q(owner=user) | Q(team_id__in=user.team_ids))

    def open(self) -> FollowUpQuerySet:
        return self.filter(status=FollowUp.Status.OPEN)


class FollowUp(models.Model):
    """Closing the loop on a low answer: the team lead contacts the person and records how
    it ended; while it is open the person is not surveyed again."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", "Recovered"
        NOT_RECOVERED = "not_recovered", "Not recovered"
        COULD_NOT_REACH = "could_not_reach", "Could not reach"

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="follow_up")
    # Copied from the answer's invitation, for the lead's list and the budget's check.
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="survey_follow_ups")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_follow_ups"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_follow_ups"
    )
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_follow_ups"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(help_text="In the team's business time.")
    contacted_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    action_taken = models.TextField(blank=True)
    tell_requester = models.BooleanField(
        default=False, help_text="Tell the person what changed when the follow-up closes."
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True, outcome="")
                | Q(status="closed", closed_at__isnull=False, outcome__gt=""),
                name="follow_up_closed_with_outcome",
            ),
        ]
        indexes = [
            models.Index(
                fields=["team", "due_at"], condition=Q(status="open"), name="follow_up_open_team"
            ),
            models.Index(
                fields=["person"], condition=Q(status="open"), name="follow_up_open_person"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up of answer {self.answer_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class PulseRoundQuerySet(models.QuerySet["PulseRound"]):
    def visible_to(self, user: User) -> PulseRoundQuerySet:
        return staff_only(self, user)


class PulseRound(models.Model):
    """One month's agent pulse: eNPS ("How likely are you to recommend working here?",
    0-10) and one workload question (1-5), asked of every active staff member once."""

    month = models.DateField(unique=True, help_text="The first day of the month.")
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()

    objects = PulseRoundQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.CheckConstraint(condition=Q(month__day=1), name="pulse_round_first_of_month"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="pulse_round_closes_after"
            ),
        ]

    def __str__(self) -> str:
        return f"Pulse {self.month:%B %Y}"


class PulseResponseQuerySet(models.QuerySet["PulseResponse"]):
    def visible_to(self, user: User) -> PulseResponseQuerySet:
        """Managers and admins, who see them only in groups of five or more (the reports)."""
        if user.is_authenticated and user.is_active and (user.is_admin or user.is_manager):
            return self.all()
        return self.none()


class PulseResponse(models.Model):
    """One anonymous pulse answer: the group it counts for, never the person.

    No foreign key to a person, no timestamp and a random primary key, so neither the
    row's id nor its time can be matched with `PulseParticipation`, which records only
    who answered (to ask nobody twice).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enps = models.PositiveSmallIntegerField(help_text="0-10, would recommend working here.")
    workload = models.PositiveSmallIntegerField(help_text="1-5, my workload is manageable.")

    objects = PulseResponseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(enps__lte=10), name="pulse_enps_in_range"),
            models.CheckConstraint(
                condition=Q(workload__gte=1, workload__lte=5), name="pulse_workload_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Pulse response ({self.round})"


class PulseParticipationQuerySet(models.QuerySet["PulseParticipation"]):
    def visible_to(self, user: User) -> PulseParticipationQuerySet:
        if user.is_authenticated and user.is_active and user.is_admin:
            return self.all()
        return self.none()


class PulseParticipation(models.Model):
    """Who already answered a round, so nobody is asked twice; it holds no answer."""

    round = models.ForeignKey(PulseRound, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    objects = PulseParticipationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "person"], name="one_pulse_answer_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} answered {self.round}"
