"""The monthly agent pulse: eNPS and one workload question, anonymous, shown for groups of five.

A round opens at the first beat of each month and closes when the month ends; every active
staff member is invited once per round (an outbox message under a key of the round and the
person). An answer is two rows written together: a `PulseParticipation` saying who has
answered (so nobody is asked twice) and a `PulseResponse` with the scores, the team and the
department, and nothing else: no person, no time, a random id. When the next round opens,
the closed round's responses are written anew in a random order, so not even the order of
the rows in the database, or the transaction that wrote them, matches them with the
participation rows.

Reports show closed rounds only (a group's result must not move as one person answers), per
team and overall, and only for groups of at least MIN_GROUP answers; smaller groups show that
there are not enough answers, and not how many. The overall result is hidden too when the
hidden teams' answers, which it would give away by subtraction, number fewer than MIN_GROUP.

eNPS is PRODUCT.md's NPS formula on the 0-10 question (% promoters 9-10 - % detractors 0-6);
the workload question is 1-5 agreement, reported as its mean and the share agreeing (4-5).
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import Team, User
from tickets import notifications
from tickets.models import OutboxMessage

from .models import PulseParticipation, PulseResponse, PulseRound
from .scores import Nps, nps_from, percent

ENPS_QUESTION = "How likely are you to recommend working in this team to a friend?"
WORKLOAD_QUESTION = "My workload is manageable."
WORKLOAD_CHOICES = [
    (1, "Strongly disagree"),
    (2, "Disagree"),
    (3, "Neither agree nor disagree"),
    (4, "Agree"),
    (5, "Strongly agree"),
]
MIN_GROUP = 5
# The outbox kind of the invitation (rendered in surveys/loop_mail.py).
INVITATION = "pulse_invitation"


def month_of(now: datetime) -> date:
    """The first day of `now`'s month, in the site's time zone."""
    return timezone.localdate(now).replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def invitation_key(round_id: int, person_id: int) -> str:
    return f"pulse-invitation:{round_id}:{person_id}"


@transaction.atomic
def open_round(now: datetime) -> tuple[PulseRound, bool]:
    """This month's round, opened now if it is not yet; the last closed round is then shuffled."""
    month = month_of(now)
    pulse_round, created = PulseRound.objects.get_or_create(
        month=month,
        defaults={"opens_at": now, "closes_at": local_midnight(next_month(month))},
    )
    if created:
        closed = PulseRound.objects.filter(closes_at__lte=now).order_by("-month").first()
        if closed is not None:
            shuffle_responses(closed)
    return pulse_round, created


def shuffle_responses(pulse_round: PulseRound) -> int:
    """Write a round's responses anew in a random order, in one transaction.

    Rows inserted one answer at a time lie in the table in the order people answered, each
    stamped with its transaction, as do the participation rows: someone reading the database
    could pair them. Written again together and shuffled, they share one transaction and an
    order that means nothing.
    """
    rows = list(
        PulseResponse.objects.filter(round=pulse_round).values_list(
            "team_id", "department_id", "enps", "workload"
        )
    )
    secrets.SystemRandom().shuffle(rows)
    PulseResponse.objects.filter(round=pulse_round).delete()
    PulseResponse.objects.bulk_create(
        PulseResponse(round=pulse_round, team_id=t, department_id=d, enps=e, workload=w)
        for t, d, e, w in rows
    )
    return len(rows)


def invite_staff(pulse_round: PulseRound, *, now: datetime) -> int:
    """Invite every active staff member not yet invited to the round (nor already answered).

    Three reads, then one outbox row per person invited: run every hour, it invites the
    month's newcomers and nobody twice.
    """
    staff = dict(User.objects.staff().exclude(email="").values_list("pk", "email"))
    keys = {invitation_key(pulse_round.pk, pk): pk for pk in staff}
    invited = set(OutboxMessage.objects.filter(key__in=keys).values_list("key", flat=True))
    answered = set(
        PulseParticipation.objects.filter(round=pulse_round).values_list("person_id", flat=True)
    )
    due = [pk for key, pk in keys.items() if key not in invited and pk not in answered]
    sent = 0
    for person in User.objects.filter(pk__in=due).order_by("pk"):
        message = notifications.enqueue(
            person,
            kind=INVITATION,
            key=invitation_key(pulse_round.pk, person.pk),
            payload={"round": pulse_round.pk},
            now=now,
        )
        sent += message is not None
    return sent


@transaction.atomic
def open_and_invite(now: datetime) -> int:
    """The beat's pulse: open this month's round when it is due, and invite who is not yet."""
    pulse_round, _ = open_round(now)
    if not pulse_round.opens_at <= now < pulse_round.closes_at:
        return 0
    return invite_staff(pulse_round, now=now)


def current_round(now: datetime) -> PulseRound | None:
    return PulseRound.objects.filter(opens_at__lte=now, closes_at__gt=now).first()


def has_answered(pulse_round: PulseRound, person: User) -> bool:
    return PulseParticipation.objects.filter(round=pulse_round, person=person).exists()


def teams_of(person: User) -> list[Team]:
    """The teams a person may answer for: those they belong to or lead."""
    return list(Team.objects.of(person).order_by("tier", "name"))


@transaction.atomic
def record_pulse_answer(
    pulse_round: PulseRound,
    *,
    person: User,
    enps: int,
    workload: int,
    team: Team | None = None,
    now: datetime | None = None,
) -> None:
    """Record a staff member's answer to an open round, anonymously, once.

    Returns nothing on purpose: no caller holds a handle that ties the stored response to
    the person. A second answer to the round is refused (the participation is unique).
    """
    now = now or timezone.now()
    if not (person.is_active and person.is_staff_member):
        raise PermissionDenied
    if not pulse_round.opens_at <= now < pulse_round.closes_at:
        raise ValidationError("This pulse is closed. The next one opens at the start of the month.")
    if not 0 <= enps <= 10:
        raise ValidationError({"enps": "Choose a number from 0 to 10."})
    if not 1 <= workload <= 5:
        raise ValidationError({"workload": "Choose how much you agree, from 1 to 5."})
    teams = teams_of(person)
    if team is None and len(teams) == 1:
        team = teams[0]
    if team is None and teams:
        raise ValidationError({"team": "Choose the team you answer for."})
    if team is not None and team not in teams:
        raise ValidationError({"team": "Answer for one of your own teams."})
    try:
        with transaction.atomic():
            PulseParticipation.objects.create(round=pulse_round, person=person)
    except IntegrityError as error:
        raise ValidationError("You have already answered this pulse. Thank you!") from error
    PulseResponse.objects.create(
        round=pulse_round,
        team=team,
        department_id=person.department_id,
        enps=enps,
        workload=workload,
    )


@dataclass(frozen=True)
class Agreement:
    """A 1-5 agreement question: the mean, and the share agreeing (4-5)."""

    n: int = 0
    total: int = 0
    agreeing: int = 0

    @property
    def mean(self) -> float | None:
        return None if self.n == 0 else self.total / self.n

    @property
    def agreeing_percent(self) -> float | None:
        return percent(self.agreeing, self.n)


@dataclass(frozen=True)
class Group:
    """One group's pulse: its scores, or nothing at all when fewer than MIN_GROUP answered."""

    enps: Nps | None = None
    workload: Agreement | None = None

    @property
    def shown(self) -> bool:
        return self.enps is not None


HIDDEN = Group()


def group_of(counts: dict[tuple[int, int], int]) -> Group:
    """The pulse of one group from its responses counted by (eNPS, workload)."""
    n = sum(counts.values())
    if n < MIN_GROUP:
        return HIDDEN
    by_enps: dict[int, int] = defaultdict(int)
    for (enps, _), count in counts.items():
        by_enps[enps] += count
    return Group(
        enps=nps_from(by_enps),
        workload=Agreement(
            n=n,
            total=sum(w * c for (_, w), c in counts.items()),
            agreeing=sum(c for (_, w), c in counts.items() if w >= 4),
        ),
    )


@dataclass(frozen=True)
class RoundReport:
    round: PulseRound
    overall: Group = HIDDEN
    teams: dict[int | None, Group] = field(default_factory=dict)

    def team(self, team_id: int | None) -> Group:
        return self.teams.get(team_id, HIDDEN)


def report(rounds: Sequence[PulseRound], *, now: datetime) -> list[RoundReport]:
    """The pulse of each closed round, overall and per team, in one query.

    Rounds still open are left out: a result that moves with each answer would show what
    the last person answered.
    """
    closed = [r for r in rounds if r.closes_at <= now]
    counts: dict[int, dict[int | None, dict[tuple[int, int], int]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    rows = (
        PulseResponse.objects.filter(round__in=closed)
        .values("round_id", "team_id", "enps", "workload")
        .annotate(answers=Count("pk"))
        .order_by()
    )
    for row in rows:
        counts[row["round_id"]][row["team_id"]][(row["enps"], row["workload"])] = row["answers"]
    reports = []
    for pulse_round in closed:
        by_team = counts.get(pulse_round.pk, {})
        everyone: dict[tuple[int, int], int] = defaultdict(int)
        for team_counts in by_team.values():
            for pair, count in team_counts.items():
                everyone[pair] += count
        # The overall result minus the teams shown is what the hidden teams answered: shown
        # only when those hidden answers are none, or themselves a group of MIN_GROUP.
        hidden = sum(n for c in by_team.values() if 0 < (n := sum(c.values())) < MIN_GROUP)
        reports.append(
            RoundReport(
                round=pulse_round,
                overall=group_of(everyone) if hidden == 0 or hidden >= MIN_GROUP else HIDDEN,
                teams={team_id: group_of(c) for team_id, c in by_team.items()},
            )
        )
    return reports
