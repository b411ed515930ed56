"""Who is asked what, and when: pure functions over plain values, so a fixed clock and a
ticket id give one exact answer (the invitation beat and the tests call the same ones).

Sampling hashes the ticket id (or the person and the NPS period), never a random draw:
the same ticket is in or out of the sample whichever run weighs it, and a test knows which.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from .models import Instrument, Invitation

Skip = Invitation.SkipReason


class Rule(Protocol):
    """What the rules need of a SurveyRule (a model instance, or a stand-in in tests)."""

    service_id: int | None
    department_id: int | None
    is_default: bool
    is_active: bool
    ask_csat: bool
    ask_ces: bool
    delay_minutes: int
    sample_percent: int


R = TypeVar("R", bound=Rule)


def rule_for(rules: Iterable[R], *, service_id: int, department_id: int | None) -> R | None:
    """The most specific active rule for a ticket of this service and requester's department.

    A rule naming both beats one naming the service, which beats one naming the department;
    the default rule (no service, no department) catches the rest. Among rules of the same
    specificity the first wins (callers pass them ordered by name).
    """
    best: R | None = None
    best_rank = -1
    for rule in rules:
        if not rule.is_active:
            continue
        if rule.service_id is not None and rule.service_id != service_id:
            continue
        if rule.department_id is not None and rule.department_id != department_id:
            continue
        if rule.service_id is None and rule.department_id is None and not rule.is_default:
            continue
        rank = 2 * (rule.service_id is not None) + (rule.department_id is not None)
        if rank > best_rank:
            best, best_rank = rule, rank
    return best


def bucket(*parts: object) -> int:
    """A stable number 0-99 for the parts: the same everywhere, run after run."""
    text = ":".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big") % 100


def in_sample(ticket_id: int, percent: int) -> bool:
    """Whether a ticket is in a `percent` % sample: 100 takes all, 0 none."""
    return bucket("ticket", ticket_id) < percent


def nps_period(now: datetime, every_days: int) -> int:
    """The number of the relationship NPS period `now` falls in (periods of `every_days`)."""
    return now.toordinal() // max(every_days, 1)


def in_nps_sample(person_id: int, *, period: int, percent: int) -> bool:
    """Whether a person is in this period's NPS sample; each period draws anew."""
    return bucket("nps", person_id, period) < percent


def within_budget(last_invited_at: datetime | None, *, now: datetime, budget_days: int) -> bool:
    """A person may be invited if their last invitation (any instrument) is `budget_days` old."""
    return last_invited_at is None or now - last_invited_at >= timedelta(days=budget_days)


def is_due(resolved_at: datetime, rule: Rule, *, now: datetime) -> bool:
    return now - resolved_at >= timedelta(minutes=rule.delay_minutes)


@dataclass(frozen=True)
class Candidate:
    """A resolved ticket without an invitation, with what the rules weigh about it."""

    ticket_id: int
    person_id: int
    service_id: int
    department_id: int | None
    resolved_at: datetime
    reachable: bool  # an active person with an email address
    opted_out: bool
    follow_up_open: bool
    last_invited_at: datetime | None


@dataclass(frozen=True)
class Decision:
    """Invite with `instrument` (and CES on the answer page), or skip for `skip_reason`."""

    instrument: str = ""
    asks_ces: bool = False
    skip_reason: str = ""

    @property
    def invites(self) -> bool:
        return not self.skip_reason


def decide(candidate: Candidate, rule: Rule | None, *, now: datetime, budget_days: int) -> Decision:
    """Whether a due ticket's requester is asked, and what; the reasons in the order weighed.

    Only an invitation uses the budget: a ticket left out of the sample leaves the person
    free to be asked about their next one.
    """
    if rule is None or not (rule.ask_csat or rule.ask_ces):
        return Decision(skip_reason=Skip.NO_RULE)
    if not candidate.reachable:
        return Decision(skip_reason=Skip.UNREACHABLE)
    if candidate.opted_out:
        return Decision(skip_reason=Skip.OPTED_OUT)
    if candidate.follow_up_open:
        return Decision(skip_reason=Skip.FOLLOW_UP_OPEN)
    if not in_sample(candidate.ticket_id, rule.sample_percent):
        return Decision(skip_reason=Skip.NOT_SAMPLED)
    if not within_budget(candidate.last_invited_at, now=now, budget_days=budget_days):
        return Decision(skip_reason=Skip.BUDGET)
    if rule.ask_csat:
        return Decision(instrument=Instrument.CSAT, asks_ces=rule.ask_ces)
    return Decision(instrument=Instrument.CES)
