"""The managers' satisfaction pages: CSAT, NPS, CES and response rate per service and
department over twelve months, with the formulas and the counts; and the agent pulse."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import Department, Team, User
from servicedesk.http import AuthedHtmxRequest
from servicedesk.rendering import render
from surveys import pulse, scores
from surveys.models import PulseRound
from tickets.models import Service

MONTHS = 12
PULSE_ROUNDS = 6


def managers_only(user: User) -> None:
    if not (user.is_manager or user.is_admin):
        raise Http404


def last_months(now: datetime, count: int) -> list[date]:
    """The first days of the last `count` months, this one included, oldest first."""
    month = timezone.localdate(now).replace(day=1)
    months = [month]
    for _ in range(count - 1):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    return months[::-1]


@dataclass(frozen=True)
class Row:
    """One service or department: its twelve months together, and month by month."""

    label: str
    total: scores.Scores
    months: list[scores.Scores]

    @property
    def csat_change(self) -> float | None:
        """CSAT of the last three months minus that of the first three, in points."""
        first = scores.combined(self.months[:3]).csat.score
        last = scores.combined(self.months[-3:]).csat.score
        return None if first is None or last is None else last - first


def rows_by(
    dimension: str,
    names: dict[int | None, str],
    *,
    months: list[date],
    start: datetime,
    end: datetime,
    scope: scores.Scope,
) -> list[Row]:
    """One row per group of `dimension` with any survey in the period (two queries)."""
    found = scores.breakdown(start=start, end=end, by=[dimension, "month"], scope=scope)
    by_group: dict[int | None, dict[date, scores.Scores]] = defaultdict(dict)
    for (group, month), group_scores in found.items():
        by_group[group][month] = group_scores
    rows = []
    for group, per_month in by_group.items():
        series = [per_month.get(month, scores.EMPTY) for month in months]
        rows.append(Row(label=names.get(group, "–"), total=scores.combined(series), months=series))
    return sorted(rows, key=lambda row: (row.label == names.get(None), row.label))


@login_required
@require_GET
def satisfaction(request: AuthedHtmxRequest) -> HttpResponse:
    managers_only(request.user)
    now = timezone.now()
    months = last_months(now, MONTHS)
    start = timezone.make_aware(datetime.combine(months[0], time.min))
    scope = scores.Scope.for_user(request.user)
    services: dict[int | None, str] = dict(Service.objects.values_list("pk", "name"))
    services[None] = "The service desk as a whole (relationship NPS)"
    departments: dict[int | None, str] = dict(Department.objects.values_list("pk", "name"))
    departments[None] = "No department"
    by_service = rows_by("service", services, months=months, start=start, end=now, scope=scope)
    by_department = rows_by(
        "department", departments, months=months, start=start, end=now, scope=scope
    )
    overall = Row(
        label="All",
        total=scores.combined(row.total for row in by_department),
        months=[
            scores.combined(row.months[index] for row in by_department)
            for index in range(len(months))
        ],
    )
    context = {
        "nav": "dashboards",
        "tab": "satisfaction",
        "months": months,
        "by_service": by_service,
        "by_department": by_department,
        "overall": overall,
        "teams_only": scope.teams is not None,
    }
    return render(request, "dashboards/satisfaction.html", context)


@login_required
@require_GET
def team_pulse(request: AuthedHtmxRequest) -> HttpResponse:
    managers_only(request.user)
    now = timezone.now()
    rounds = list(PulseRound.objects.visible_to(request.user).order_by("-month")[:PULSE_ROUNDS])
    teams = Team.objects.order_by("tier", "name")
    if not request.user.is_admin:
        teams = teams.filter(pk__in=request.user.team_ids)
    context = {
        "nav": "dashboards",
        "tab": "pulse",
        "open_round": next((r for r in rounds if r.closes_at > now), None),
        "reports": pulse.report(rounds[::-1], now=now),
        "teams": list(teams),
        "min_group": pulse.MIN_GROUP,
        "enps_question": pulse.ENPS_QUESTION,
        "workload_question": pulse.WORKLOAD_QUESTION,
    }
    return render(request, "dashboards/pulse.html", context)
