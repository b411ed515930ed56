"""Survey scores by PRODUCT.md's definitions, each with the counts it is computed from.

- CSAT (1-5): the share of answers that are 4 or 5, in %.
- NPS (0-10): % promoters (9-10) minus % detractors (0-6), from -100 to 100.
- CES (1-7): the mean, and the share agreeing (5-7), in %.
- Response rate: answered / sent, of the invitations sent in the period.

A score is None when nobody answered. Answers count in the period they were given;
invitations (the response rate) in the period they were sent, with every answer they got
since. A breakdown by month, service, team, agent or department (or several at once)
costs one aggregate query over the answers and one over the invitations, however many
groups: each row of the first is a (group, instrument, score) count, and the formulas run
here, on those counts. Service, team, agent and department are the invitation's copies of
the ticket's at the time it was surveyed, so a ticket moved later keeps its score where
it was earned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth

from accounts.models import User

from .models import Answer, Instrument, Invitation

# The dimensions a breakdown can group by, as fields of the invitation.
DIMENSIONS = {
    "service": "service_id",
    "team": "team_id",
    "agent": "agent_id",
    "department": "department_id",
    "month": None,  # the month of the answer (or of the invitation, for the response rate)
}
SENT_STATUSES = (Invitation.Status.SENT, Invitation.Status.ANSWERED, Invitation.Status.EXPIRED)


def percent(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100 * part / whole


@dataclass(frozen=True)
class Csat:
    """CSAT = satisfied (4-5) / answers, in %."""

    n: int = 0
    satisfied: int = 0
    neutral: int = 0
    dissatisfied: int = 0

    @property
    def score(self) -> float | None:
        return percent(self.satisfied, self.n)


@dataclass(frozen=True)
class Nps:
    """NPS = % promoters (9-10) - % detractors (0-6); passives (7-8) count only in n."""

    n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def score(self) -> float | None:
        return None if self.n == 0 else 100 * (self.promoters - self.detractors) / self.n


@dataclass(frozen=True)
class Ces:
    """CES: the mean of the 1-7 answers, and the share agreeing (5-7) in %."""

    n: int = 0
    total: int = 0
    agreeing: int = 0
    neutral: int = 0
    disagreeing: int = 0

    @property
    def mean(self) -> float | None:
        return None if self.n == 0 else self.total / self.n

    @property
    def agreeing_percent(self) -> float | None:
        return percent(self.agreeing, self.n)

    @property
    def score(self) -> float | None:
        return self.mean


@dataclass(frozen=True)
class ResponseRate:
    """Answered / sent. Sent: delivered and not withdrawn (sent, answered or expired)."""

    sent: int = 0
    answered: int = 0

    @property
    def score(self) -> float | None:
        return percent(self.answered, self.sent)


def csat_from(counts: Mapping[int, int]) -> Csat:
    """The CSAT of answers counted by score (1-5)."""
    return Csat(
        n=sum(counts.values()),
        satisfied=sum(c for s, c in counts.items() if s >= 4),
        neutral=counts.get(3, 0),
        dissatisfied=sum(c for s, c in counts.items() if s <= 2),
    )


def nps_from(counts: Mapping[int, int]) -> Nps:
    """The NPS of answers counted by score (0-10)."""
    return Nps(
        n=sum(counts.values()),
        promoters=sum(c for s, c in counts.items() if s >= 9),
        passives=sum(c for s, c in counts.items() if 7 <= s <= 8),
        detractors=sum(c for s, c in counts.items() if s <= 6),
    )


def ces_from(counts: Mapping[int, int]) -> Ces:
    """The CES of answers counted by score (1-7)."""
    return Ces(
        n=sum(counts.values()),
        total=sum(s * c for s, c in counts.items()),
        agreeing=sum(c for s, c in counts.items() if s >= 5),
        neutral=counts.get(4, 0),
        disagreeing=sum(c for s, c in counts.items() if s <= 3),
    )


def counted(scores: Iterable[int]) -> dict[int, int]:
    """Scores counted by value: what the formulas take (handy for a list of answers)."""
    counts: dict[int, int] = defaultdict(int)
    for score in scores:
        counts[score] += 1
    return dict(counts)


@dataclass(frozen=True)
class Scores:
    """Every score of one group, with its counts."""

    csat: Csat = field(default_factory=Csat)
    nps: Nps = field(default_factory=Nps)
    ces: Ces = field(default_factory=Ces)
    response: ResponseRate = field(default_factory=ResponseRate)

    @property
    def answers(self) -> int:
        return self.csat.n + self.nps.n + self.ces.n


EMPTY = Scores()


def combined(groups: Iterable[Scores]) -> Scores:
    """The scores of several groups together: their counts added, the formulas run anew."""
    total = EMPTY
    for group in groups:
        total = Scores(
            **{
                part.name: _added(getattr(total, part.name), getattr(group, part.name))
                for part in fields(Scores)
            }
        )
    return total


def _added(one: Any, other: Any) -> Any:
    return replace(
        one,
        **{
            count.name: getattr(one, count.name) + getattr(other, count.name)
            for count in fields(one)
        },
    )


@dataclass(frozen=True)
class Scope:
    """Which invitations count: those of some teams (None: every team), and optionally the
    relationship NPS ones, which belong to no team."""

    teams: frozenset[int] | None = None
    relationship: bool = True

    @classmethod
    def for_user(cls, user: User) -> Scope:
        """Admins see every score; managers those of their teams, and the relationship NPS
        (about the service desk as a whole); anyone else nothing."""
        if user.is_authenticated and user.is_active and user.is_admin:
            return cls()
        if user.is_authenticated and user.is_active and user.is_manager:
            return cls(teams=frozenset(user.team_ids))
        return cls(teams=frozenset(), relationship=False)

    def q(self, prefix: str = "") -> Q:
        if self.teams is None:
            return Q() if self.relationship else Q(**{f"{prefix}ticket__isnull": False})
        condition = Q(**{f"{prefix}team_id__in": sorted(self.teams)})
        if self.relationship:
            condition |= Q(**{f"{prefix}ticket__isnull": True})
        return condition


Key = tuple[Any, ...]


def _columns(by: Sequence[str], *, prefix: str, moment: str) -> dict[str, Any]:
    """The group columns, under names no model field has (`by_service`, `by_month`...)."""
    unknown = set(by) - DIMENSIONS.keys()
    if unknown:
        raise ValueError(f"Scores cannot be grouped by {', '.join(sorted(unknown))}.")
    columns: dict[str, Any] = {}
    for name in by:
        column = DIMENSIONS[name]
        columns[f"by_{name}"] = TruncMonth(moment) if column is None else F(f"{prefix}{column}")
    return columns


def _key(row: Mapping[str, Any], by: Sequence[str]) -> Key:
    return tuple(_month(row[f"by_{name}"]) if name == "month" else row[f"by_{name}"] for name in by)


def _month(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def breakdown(
    *,
    start: datetime,
    end: datetime,
    by: Sequence[str] = (),
    scope: Scope | None = None,
    where: Mapping[str, object] | None = None,
) -> dict[Key, Scores]:
    """Scores of the answers given and invitations sent from `start` to `end` (excluded),
    grouped by the dimensions in `by` (keys: a tuple of their ids, or the month's first
    day). Two queries, whatever the number of groups; only groups with an answer or an
    invitation appear. `where` narrows to one group (e.g. {"service": 3})."""
    scope = scope or Scope()
    narrow = {}
    for name, value in (where or {}).items():
        column = DIMENSIONS.get(name)
        if column is None:
            raise ValueError(f"Scores cannot be narrowed to one {name}.")
        narrow[column] = value
    answer_columns = _columns(by, prefix="invitation__", moment="answered_at")
    counts: dict[Key, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    answers = (
        # Every instrument named, so the (instrument, answered_at) index serves the range.
        Answer.objects.filter(
            instrument__in=Instrument.values, answered_at__gte=start, answered_at__lt=end
        )
        .filter(scope.q("invitation__"))
        .filter(**{f"invitation__{column}": value for column, value in narrow.items()})
        .annotate(**answer_columns)
        .values(*answer_columns, "instrument", "score")
        .annotate(scored_as=Count("pk"))
        .order_by()
    )
    for row in answers:
        counts[_key(row, by)][row["instrument"]][row["score"]] = row["scored_as"]
    invitation_columns = _columns(by, prefix="", moment="created_at")
    sent = (
        Invitation.objects.filter(
            created_at__gte=start, created_at__lt=end, status__in=SENT_STATUSES
        )
        .filter(scope.q())
        .filter(**narrow)
        .order_by()
    )
    tally = {
        "sent": Count("pk"),
        "answered": Count("pk", filter=Q(status=Invitation.Status.ANSWERED)),
    }
    # Without groups, values() would group by every column: one aggregate row instead.
    invitations = (
        sent.annotate(**invitation_columns).values(*invitation_columns).annotate(**tally)
        if invitation_columns
        else [sent.aggregate(**tally)]
    )
    rates = {
        _key(row, by): ResponseRate(sent=row["sent"], answered=row["answered"])
        for row in invitations
        if row["sent"]
    }
    return {
        key: Scores(
            csat=csat_from(counts[key].get(Instrument.CSAT, {})) if key in counts else Csat(),
            nps=nps_from(counts[key].get(Instrument.NPS, {})) if key in counts else Nps(),
            ces=ces_from(counts[key].get(Instrument.CES, {})) if key in counts else Ces(),
            response=rates.get(key, ResponseRate()),
        )
        for key in {*counts, *rates}
    }


def overall(
    *,
    start: datetime,
    end: datetime,
    scope: Scope | None = None,
    where: Mapping[str, object] | None = None,
) -> Scores:
    """All the scores of the period in one group (two queries)."""
    return breakdown(start=start, end=end, scope=scope, where=where).get((), EMPTY)


def by_month(
    *,
    start: datetime,
    end: datetime,
    months: Collection[date],
    scope: Scope | None = None,
    where: Mapping[str, object] | None = None,
) -> list[tuple[date, Scores]]:
    """One row per month of `months` (oldest first), empty months included."""
    found = breakdown(start=start, end=end, by=["month"], scope=scope, where=where)
    return [(month, found.get((month,), EMPTY)) for month in sorted(months)]
