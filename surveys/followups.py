"""Closing the loop: a low answer opens a follow-up for the team lead, who contacts the person,
records how it ended and what changed, and may tell them ("You told us, we did").

- `open_follow_up_if_low(answer)`: the answering service's hook, in its transaction.
- `has_open_follow_up(person)` / `open_follow_ups_of(person)`: the invitation rules' check
  that nobody is surveyed again while a follow-up of theirs is open.
- `follow_ups_for(user)`: the workspace's road to follow-ups (team leads, managers, admins).
- `record_contact`, `close_follow_up`: the lead's two actions.

A follow-up is due a number of business days after the answer (settings.
SURVEY_FOLLOW_UP_BUSINESS_DAYS), in the calendar of the ticket's SLA policy, so an answer
on a Friday evening is not overdue on Monday morning. Each change is written to the ticket's
audit trail; a follow-up of a relationship NPS answer (no ticket) is its own record.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q
from django.utils import timezone

from accounts.models import NotificationKind, User
from tickets import notifications
from tickets.calendars import Schedule, add_business_minutes
from tickets.models import SLAPolicy, Ticket, TicketEvent
from tickets.sla import match_policy

from .models import Answer, FollowUp, FollowUpQuerySet, Instrument, SurveySettings

# The outbox kind of the "You told us, we did" message (rendered in surveys/loop_mail.py).
WE_DID = "survey_we_did"
ACTION_MAX_LENGTH = 2000


def low_at_most(config: SurveySettings, instrument: str) -> int:
    """The highest score that counts as low for an instrument (CSAT 2, NPS 6, CES 3 by default)."""
    thresholds: dict[str, int] = {
        Instrument.CSAT: config.csat_low_at_most,
        Instrument.NPS: config.nps_low_at_most,
        Instrument.CES: config.ces_low_at_most,
    }
    return thresholds[instrument]


def is_low(answer: Answer, config: SurveySettings) -> bool:
    return answer.score <= low_at_most(config, answer.instrument)


def open_follow_ups_of(person: User | int | OuterRef) -> FollowUpQuerySet:
    """Open follow-ups of a person (a User, an id, or an OuterRef for an Exists())."""
    return FollowUp.objects.open().filter(person=person)  # type: ignore[misc]  # an OuterRef too


def has_open_follow_up(person: User | int) -> bool:
    """Whether the person has a follow-up still open: then they are not surveyed again."""
    return open_follow_ups_of(person).exists()


def schedule_for(ticket: Ticket | None) -> Schedule:
    """The business calendar a follow-up's due date counts in: the ticket's SLA policy's,
    the policy that would match it, or the default policy's; around the clock without any."""
    policy: SLAPolicy | None = None
    if ticket is not None:
        policy = ticket.sla_policy if ticket.sla_policy_id else match_policy(ticket)
    if policy is None:
        policy = (
            SLAPolicy.objects.filter(is_default=True, is_active=True)
            .select_related("calendar")
            .first()
        )
    if policy is None:
        return Schedule(tz=ZoneInfo(settings.TIME_ZONE), always=True)
    return policy.calendar.schedule()


def business_days_after(schedule: Schedule, start: datetime, days: float) -> datetime:
    """The moment `days` working days of the calendar after `start`.

    A working day is the calendar's average day of work (9 hours for 8:30-17:30), so two
    business days from Friday 15:00 is Tuesday 15:00, and from Saturday the end of Tuesday.
    """
    if schedule.always or not schedule.has_hours or schedule.days is None:
        return start + timedelta(days=days)
    lengths = [
        sum(minutes_of(end) - minutes_of(begin) for begin, end in spans)
        for spans in schedule.days.values()
        if spans
    ]
    return add_business_minutes(schedule, start, days * sum(lengths) / len(lengths))


def minutes_of(moment: time) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def audit(follow_up: FollowUp, *, by: User | None, after: dict[str, object], now: datetime) -> None:
    """A line in the ticket's history (a follow-up of the relationship NPS has no ticket)."""
    if follow_up.ticket_id is None:
        return
    TicketEvent.objects.create(
        ticket_id=follow_up.ticket_id,
        actor=by,
        kind=TicketEvent.Kind.UPDATED,
        after=after,
        created_at=now,
    )


# A ticket with what a follow-up reads of it: the team's lead, the SLA calendar, the requester's
# department (to match a policy when the ticket has none).
TICKET_WITH_TEAM = Ticket.objects.select_related("team__lead", "sla_policy__calendar", "requester")


def latest_ticket_of(person_id: int) -> Ticket | None:
    """The ticket a person logged or updated last: whose team hears of a relationship answer."""
    return TICKET_WITH_TEAM.filter(requester_id=person_id).order_by("-updated_at").first()


@transaction.atomic
def open_follow_up_if_low(answer: Answer, *, now: datetime | None = None) -> FollowUp | None:
    """Open a follow-up for the team lead when `answer` is low, or return the one already open.

    Called by the answering service for every answer it records or changes, inside its
    transaction. An invitation gets at most one follow-up, whichever of its answers (CSAT, or
    the CES after it) was low first. An answer changed to a good score (within the change
    window) withdraws the follow-up it opened, unless the lead has made contact already or
    another answer of the invitation is still low. The lead is the ticket's team's (for a
    relationship NPS answer, the team of the person's latest ticket); a team without one
    leaves the follow-up to its managers.
    """
    now = now or answer.changed_at or answer.answered_at or timezone.now()
    config = SurveySettings.load()
    invitation = answer.invitation
    existing = FollowUp.objects.filter(answer__invitation_id=invitation.pk).first()
    if not is_low(answer, config):
        if (
            existing is not None
            and existing.is_open
            and existing.contacted_at is None
            and not any(is_low(other, config) for other in invitation.answers.all())
        ):
            withdraw(existing, score=answer.score, now=now)
            return None
        return existing
    if existing is not None:
        return existing
    ticket: Ticket | None = None
    served_by: Ticket | None
    if invitation.ticket_id is not None:
        ticket = TICKET_WITH_TEAM.get(pk=invitation.ticket_id)
        served_by = ticket
    else:
        served_by = latest_ticket_of(invitation.person_id)
    team = served_by.team if served_by is not None else None
    lead = team.lead if team is not None else None
    owner = lead if lead is not None and lead.is_active else None
    days = settings.SURVEY_FOLLOW_UP_BUSINESS_DAYS
    due_at = business_days_after(schedule_for(served_by), now, days)
    follow_up = FollowUp.objects.create(
        answer=answer,
        person_id=invitation.person_id,
        ticket=ticket,
        team=team,
        owner=owner,
        created_at=now,
        due_at=due_at,
    )
    audit(
        follow_up,
        by=None,
        after={
            "follow_up": f"opened on a low {answer.get_instrument_display()} answer ({answer.score})",
            "owner": str(owner) if owner else "the team's managers",
            "due": due_at.isoformat(),
        },
        now=now,
    )
    return follow_up


def withdraw(follow_up: FollowUp, *, score: int, now: datetime) -> None:
    """Remove a follow-up nobody has worked whose answer is no longer low, with an audit line."""
    audit(
        follow_up,
        by=None,
        after={"follow_up": f"withdrawn: the answer was changed to {score}"},
        now=now,
    )
    follow_up.delete()


def follow_ups_for(user: User) -> FollowUpQuerySet:
    """The follow-ups a person works in the workspace: admins every one, managers those of
    their teams, agents those of the teams they lead (or that they own). Anyone else: none."""
    visible = FollowUp.objects.visible_to(user)
    if not user.is_authenticated or user.is_admin or user.is_manager:
        return visible
    return visible.filter(Q(owner=user) | Q(team__lead=user))


def _locked(follow_up: FollowUp, by: User) -> FollowUp:
    """The follow-up, locked for this change, if `by` works it; a lead of another team may not."""
    # Two people closing one follow-up at once: the second waits, then finds it closed.
    locked = (
        follow_ups_for(by)
        .select_for_update(of=("self",))
        .select_related("person", "closed_by")
        .filter(pk=follow_up.pk)
        .first()
    )
    if locked is None:
        raise PermissionDenied
    if not locked.is_open:
        who = f" by {locked.closed_by}" if locked.closed_by_id else ""
        raise ValidationError(f"This follow-up was already closed{who}.")
    return locked


def check_contact_time(follow_up: FollowUp, contacted_at: datetime, *, now: datetime) -> None:
    if contacted_at > now + timedelta(minutes=5):
        raise ValidationError({"contacted_at": "A contact cannot be in the future."})
    if contacted_at < follow_up.created_at - timedelta(minutes=5):
        raise ValidationError(
            {"contacted_at": "The contact must be after the answer that opened the follow-up."}
        )


@transaction.atomic
def record_contact(
    follow_up: FollowUp, *, contacted_at: datetime, by: User, now: datetime | None = None
) -> FollowUp:
    """Record when the lead reached the person; the follow-up stays open for its outcome."""
    now = now or timezone.now()
    follow_up = _locked(follow_up, by)
    check_contact_time(follow_up, contacted_at, now=now)
    follow_up.contacted_at = contacted_at
    follow_up.save(update_fields=["contacted_at"])
    audit(
        follow_up,
        by=by,
        after={"follow_up": "contact recorded", "contacted": contacted_at.isoformat()},
        now=now,
    )
    return follow_up


def can_be_told(person: User) -> bool:
    """Whether the "we did" message can reach the person: an address, and survey mail on."""
    return (
        person.is_active
        and bool(person.email)
        and notifications.wants(person, NotificationKind.SURVEY_INVITATION)
    )


@transaction.atomic
def close_follow_up(
    follow_up: FollowUp,
    *,
    outcome: str,
    action_taken: str = "",
    tell_requester: bool = False,
    contacted_at: datetime | None = None,
    by: User,
    now: datetime | None = None,
) -> FollowUp:
    """Close a follow-up with its outcome and the action taken, and, when asked, queue the
    "You told us, we did" message telling the person what changed (once: it has a key).

    Recovered and not recovered mean the person was reached: when, is the contact recorded
    before, else `contacted_at`, else `now` (the lead closes right after the call). Could not
    reach needs none. Telling the person needs an action to tell, and a person who
    receives survey mail.
    """
    now = now or timezone.now()
    follow_up = _locked(follow_up, by)
    if outcome not in FollowUp.Outcome.values:
        raise ValidationError({"outcome": "Choose how the follow-up ended."})
    action_taken = action_taken.strip()
    if len(action_taken) > ACTION_MAX_LENGTH:
        raise ValidationError(
            {"action_taken": f"Keep the action under {ACTION_MAX_LENGTH} characters."}
        )
    if contacted_at is not None:
        check_contact_time(follow_up, contacted_at, now=now)
        follow_up.contacted_at = contacted_at
    if outcome != FollowUp.Outcome.COULD_NOT_REACH and follow_up.contacted_at is None:
        follow_up.contacted_at = now
    if tell_requester and not action_taken:
        raise ValidationError({"action_taken": "Describe what changed, to tell them."})
    if tell_requester and not can_be_told(follow_up.person):
        raise ValidationError(
            {
                "tell_requester": f"{follow_up.person} does not get survey emails: they cannot be told."
            }
        )
    follow_up.status = FollowUp.Status.CLOSED
    follow_up.outcome = outcome
    follow_up.action_taken = action_taken
    follow_up.tell_requester = tell_requester
    follow_up.closed_at = now
    follow_up.closed_by = by
    follow_up.save(
        update_fields=[
            "status",
            "outcome",
            "action_taken",
            "tell_requester",
            "contacted_at",
            "closed_at",
            "closed_by",
        ]
    )
    audit(
        follow_up,
        by=by,
        after={
            "follow_up": "closed",
            "outcome": follow_up.get_outcome_display(),
            **({"action": action_taken} if action_taken else {}),
            **({"requester told": "yes"} if tell_requester else {}),
        },
        now=now,
    )
    if tell_requester:
        notifications.enqueue(
            follow_up.person,
            kind=WE_DID,
            key=f"survey-we-did:{follow_up.pk}",
            payload={"follow_up": follow_up.pk},
            ticket=follow_up.ticket,
            now=now,
        )
    return follow_up
