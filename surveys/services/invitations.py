"""Invitations: the beat's pull of resolved tickets, the relationship NPS, reminders, expiry,
and cancelling the invitations of reopened tickets.

Every function here takes `now` and is called by a beat task (surveys/tasks.py). Each
locks the settings row first, so two overlapping runs (a slow run and the next beat) take
turns rather than weighing the same tickets twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import cast

from django.db import transaction
from django.db.models import DateTimeField, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest

from accounts.models import NotificationKind, NotificationPreference, User
from surveys import rules
from surveys.models import FollowUp, Instrument, Invitation, SurveyRule, SurveySettings
from tickets.models import OutboxMessage, Ticket
from tickets.notifications import Draft, enqueue_many

KIND = NotificationKind.SURVEY_INVITATION
# Tickets resolved longer ago than their rule's delay plus this are never invited: a survey
# weeks after the fact (the beat was down, a rule was added) asks about what nobody remembers.
LOOKBACK = timedelta(days=3)
BATCH = 20_000
RELATIONSHIP_BATCH = 2_000
Status = Invitation.Status


def lock_settings() -> SurveySettings:
    """The settings row, locked until the caller's transaction ends (see the module docstring)."""
    SurveySettings.load()
    return SurveySettings.objects.select_for_update().get(pk=1)


def new_nonce() -> str:
    return secrets.token_urlsafe(12)


def invitation_key(ticket_id: int) -> str:
    return f"survey-invitation:ticket:{ticket_id}"


def due_candidates(
    now: datetime, *, shortest: timedelta, longest: timedelta, budget_days: int, limit: int
) -> list[tuple[rules.Candidate, int, int | None]]:
    """Resolved tickets in the window of the rules' delays that have no invitation yet.

    One query on the `ticket_resolved_at` index: the window is a few days of resolutions,
    whatever the size of the table. NOT EXISTS leaves out the tickets already weighed,
    among invitations written since the window began (the `survey_invitation_created`
    index): an invitation is written after its ticket's resolution, so a ticket in the
    window has its invitation there too, and Postgres never hashes the whole table of
    invitations. The one exception, a ticket reopened and resolved again long after its
    invitation, is left out by `invite_due`'s check of the unique ticket column.
    Each row brings what the rules weigh (opt-out, open follow-up, last invitation), with
    the ticket's team and assignee.
    """
    person = OuterRef("requester_id")
    window_start = now - longest - LOOKBACK
    last_invited = (
        Invitation.objects.counted_in_budget()
        .filter(person=person, created_at__gt=now - timedelta(days=budget_days))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    rows = (
        Ticket.objects.filter(
            status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED],
            resolved_at__gt=window_start,
            resolved_at__lte=now - shortest,
        )
        .filter(
            ~Exists(Invitation.objects.filter(ticket=OuterRef("pk"), created_at__gte=window_start))
        )
        .annotate(
            opted_out=Exists(
                NotificationPreference.objects.filter(user=person, kind=KIND, enabled=False)
            ),
            follow_up_open=Exists(FollowUp.objects.open().filter(person=person)),
            last_invited_at=Subquery(last_invited),
        )
        .order_by("resolved_at", "pk")
        .values_list(
            "pk",
            "requester_id",
            "service_id",
            "requester__department_id",
            "resolved_at",
            "requester__is_active",
            "requester__email",
            "opted_out",
            "follow_up_open",
            "last_invited_at",
            "team_id",
            "assignee_id",
        )[:limit]
    )
    return [
        (
            rules.Candidate(
                ticket_id=pk,
                person_id=person_id,
                service_id=service_id,
                department_id=department_id,
                resolved_at=cast(datetime, resolved_at),  # the window's filter: never null
                reachable=bool(is_active and email),
                opted_out=opted_out,
                follow_up_open=follow_up_open,
                last_invited_at=last_invited_at,
            ),
            team_id,
            assignee_id,
        )
        for (
            pk,
            person_id,
            service_id,
            department_id,
            resolved_at,
            is_active,
            email,
            opted_out,
            follow_up_open,
            last_invited_at,
            team_id,
            assignee_id,
        ) in rows
    ]


@transaction.atomic
def invite_due(now: datetime, *, limit: int = BATCH) -> int:
    """Weigh each resolved ticket past its rule's delay once: invite its requester, or record why not.

    Invitations and their outbox messages are written in this one transaction, so an
    invitation without its email (or an email without its invitation) never exists. The
    budget holds inside the batch too: of one person's tickets due together, only the first
    resolved is surveyed. Returns the number of invitations written (skips not counted).
    """
    config = lock_settings()
    active = list(SurveyRule.objects.active().order_by("name"))
    if not active:
        return 0
    delays = [timedelta(minutes=rule.delay_minutes) for rule in active]
    candidates = due_candidates(
        now,
        shortest=min(delays),
        longest=max(delays),
        budget_days=config.budget_days,
        limit=limit,
    )
    # Tickets reopened and resolved again after an invitation older than the window.
    weighed = set(
        Invitation.objects.filter(
            ticket_id__in=[candidate.ticket_id for candidate, _, _ in candidates]
        ).values_list("ticket_id", flat=True)
    )
    invited_now: dict[int, datetime] = {}
    invitations: list[Invitation] = []
    for candidate, team_id, assignee_id in candidates:
        if candidate.ticket_id in weighed:
            continue
        rule = rules.rule_for(
            active, service_id=candidate.service_id, department_id=candidate.department_id
        )
        if rule is not None and not rules.is_due(candidate.resolved_at, rule, now=now):
            continue
        if candidate.person_id in invited_now:
            candidate = rules.Candidate(
                **{**vars(candidate), "last_invited_at": invited_now[candidate.person_id]}
            )
        decision = rules.decide(candidate, rule, now=now, budget_days=config.budget_days)
        invitation = Invitation(
            ticket_id=candidate.ticket_id,
            person_id=candidate.person_id,
            instrument=decision.instrument or (rule.instrument if rule else None) or "csat",
            asks_ces=decision.asks_ces,
            rule=rule,
            resolved_at=candidate.resolved_at,
            service_id=candidate.service_id,
            team_id=team_id,
            agent_id=assignee_id,
            department_id=candidate.department_id,
            created_at=now,
        )
        if decision.invites:
            assert rule is not None  # nosec B101 - decide() invites only under a rule
            invited_now[candidate.person_id] = now
            invitation.nonce = new_nonce()
            invitation.expires_at = now + timedelta(days=rule.expire_after_days)
            if rule.remind_after_days is not None:
                invitation.remind_at = now + timedelta(days=rule.remind_after_days)
        else:
            invitation.status = Status.SKIPPED
            invitation.skip_reason = decision.skip_reason
        invitations.append(invitation)
    return write_invitations(invitations, now=now)


def write_invitations(
    invitations: Sequence[Invitation], *, now: datetime, keep_refused: bool = True
) -> int:
    """Queue the invitations' emails, then insert the invitations pointing at them.

    A person the outbox would not write to (opted out since the candidates were read) gets
    a skipped row instead (`keep_refused`), so their ticket is still weighed only once.
    """
    drafts = [
        Draft(
            recipient_id=invitation.person_id,
            key=invitation_key(invitation.ticket_id)
            if invitation.ticket_id
            else relationship_key(invitation.person_id, now),
            ticket_id=invitation.ticket_id,
        )
        for invitation in invitations
        if invitation.status != Status.SKIPPED
    ]
    queued = enqueue_many(drafts, kind=KIND, now=now)
    invited = 0
    for invitation, draft in zip(
        [i for i in invitations if i.status != Status.SKIPPED], drafts, strict=True
    ):
        message = queued.get(draft.key)
        if message is None:
            invitation.status = Status.SKIPPED
            invitation.skip_reason = Invitation.SkipReason.OPTED_OUT
            invitation.nonce, invitation.expires_at, invitation.remind_at = "", None, None
        else:
            invitation.message = message
            invited += 1
    if not keep_refused:
        invitations = [i for i in invitations if i.status != Status.SKIPPED]
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    note_waiting(invitations)
    return invited


def note_waiting(invitations: Sequence[Invitation]) -> None:
    """Raise each invited person's `surveys_open_until` to their invitation's expiry, so the
    portal looks for the surveys waiting for them until then (and for nobody else's).

    Every open invitation is written with this (the beat's, the NPS, the demo's): one UPDATE
    per expiry time, and a run's invitations share a few.
    """
    people: dict[datetime, set[int]] = {}
    for invitation in invitations:
        if invitation.status in Invitation.OPEN_STATUSES and invitation.expires_at is not None:
            people.setdefault(invitation.expires_at, set()).add(invitation.person_id)
    for expires_at, ids in people.items():
        until = Value(expires_at, output_field=DateTimeField())
        ordered = sorted(ids)  # in one order, so two runs' row locks never cross
        for start in range(0, len(ordered), 5_000):
            User.objects.filter(pk__in=ordered[start : start + 5_000]).update(
                surveys_open_until=Greatest(Coalesce("surveys_open_until", until), until)
            )


def relationship_key(person_id: int, now: datetime) -> str:
    return f"survey-invitation:nps:{person_id}:{now:%Y-%m-%d}"


@transaction.atomic
def invite_relationship_due(now: datetime, *, limit: int = RELATIONSHIP_BATCH) -> int:
    """Ask this period's sample of active requesters the relationship NPS question.

    Active: they logged a ticket in the settings' window. Nobody is asked more than once in
    `nps_every_days`, and the one budget per person holds across NPS and ticket surveys.
    Nothing is recorded for people left out: a person is weighed anew each run.
    """
    config = lock_settings()
    if not config.nps_enabled or config.nps_sample_percent == 0:
        return 0
    person = OuterRef("pk")
    active_since = now - timedelta(days=config.nps_active_within_days)
    recent = Invitation.objects.counted_in_budget().filter(person=person)
    people = (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(
            Exists(
                # updated_at is never before created_at: the bound lets the requester index serve.
                Ticket.objects.filter(
                    requester=person, updated_at__gte=active_since, created_at__gte=active_since
                )
            )
        )
        .exclude(
            Exists(NotificationPreference.objects.filter(user=person, kind=KIND, enabled=False))
        )
        .exclude(Exists(FollowUp.objects.open().filter(person=person)))
        .exclude(
            Exists(
                recent.filter(
                    instrument=Instrument.NPS,
                    created_at__gt=now - timedelta(days=config.nps_every_days),
                )
            )
        )
        .exclude(Exists(recent.filter(created_at__gt=now - timedelta(days=config.budget_days))))
        .order_by("pk")
        .values_list("pk", "department_id")
    )
    period = rules.nps_period(now, config.nps_every_days)
    invitations: list[Invitation] = []
    for person_id, department_id in people.iterator(chunk_size=2000):
        if not rules.in_nps_sample(person_id, period=period, percent=config.nps_sample_percent):
            continue
        invitations.append(
            Invitation(
                person_id=person_id,
                instrument=Instrument.NPS,
                department_id=department_id,
                created_at=now,
                nonce=new_nonce(),
                expires_at=now + timedelta(days=config.nps_expire_after_days),
                remind_at=None
                if config.nps_remind_after_days is None
                else now + timedelta(days=config.nps_remind_after_days),
            )
        )
        if len(invitations) >= limit:
            break
    # Relationship rows for people the outbox refuses are not kept: there is no ticket to
    # weigh only once, and the person is weighed anew next run.
    return write_invitations(invitations, now=now, keep_refused=False)


@transaction.atomic
def remind_due(now: datetime, *, limit: int = 5_000) -> int:
    """Send the one reminder of invitations sent, unanswered and past their reminder date."""
    lock_settings()
    due = list(
        Invitation.objects.filter(
            status=Status.SENT,
            reminded_at__isnull=True,
            remind_at__isnull=False,
            remind_at__lte=now,
            expires_at__gt=now,
        )
        .order_by("remind_at")
        .only("pk", "person_id", "ticket_id")[:limit]
    )
    drafts = [
        Draft(
            recipient_id=invitation.person_id,
            key=f"survey-reminder:{invitation.pk}",
            ticket_id=invitation.ticket_id,
            payload={"reminder": True},
        )
        for invitation in due
    ]
    queued = enqueue_many(drafts, kind=KIND, now=now)
    for invitation, draft in zip(due, drafts, strict=True):
        invitation.reminded_at = now
        invitation.reminder_message = queued.get(draft.key)
    # Someone who turned survey mail off gets no reminder, and is not weighed again either.
    Invitation.objects.bulk_update(due, ["reminded_at", "reminder_message"], batch_size=1000)
    return len(queued)


@transaction.atomic
def keep_invitations_current(now: datetime) -> dict[str, int]:
    """Follow the outbox and the tickets: queued invitations whose email went are sent, those
    the outbox skipped are cancelled, invitations of reopened tickets are cancelled, and
    open invitations past their date expire."""
    lock_settings()
    queued = Invitation.objects.filter(status=Status.PENDING)
    sent = queued.filter(message__status=OutboxMessage.Status.SENT).update(
        status=Status.SENT,
        sent_at=Subquery(
            OutboxMessage.objects.filter(pk=OuterRef("message_id")).values("sent_at")[:1]
        ),
    )
    skipped = queued.filter(message__status=OutboxMessage.Status.SKIPPED).update(
        status=Status.CANCELLED, cancelled_at=now
    )
    return {
        "sent": sent,
        "skipped": skipped,
        "cancelled": cancel_reopened(now=now),
        "expired": Invitation.objects.open()
        .filter(expires_at__lte=now)
        .update(status=Status.EXPIRED),
    }


def cancel_reopened(*, now: datetime) -> int:
    """Cancel open invitations about a resolution the ticket no longer has (it was reopened).

    Reads open invitations only (a partial index: the last couple of weeks' surveys), and
    their emails not sent yet are skipped. Tickets never import surveys: this pull, every
    beat, is the hook; the answer page also refuses an answer about a reopened ticket, so
    the time between a reopen and the next beat cannot record one.
    """
    stale = list(
        Invitation.objects.open()
        .filter(ticket__isnull=False)
        .exclude(
            ticket__status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED],
            ticket__resolved_at=F("resolved_at"),
        )
        .values_list("pk", "message_id", "reminder_message_id")
    )
    if not stale:
        return 0
    messages = [pk for _, *ids in stale for pk in ids if pk is not None]
    OutboxMessage.objects.filter(pk__in=messages, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SKIPPED
    )
    return (
        Invitation.objects.open()
        .filter(pk__in=[pk for pk, *_ in stale])
        .update(status=Status.CANCELLED, cancelled_at=now)
    )
