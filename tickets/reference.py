"""Reference data for busy pages: services, teams, staff and SLA policies, kept per process.

A queue page shows 25 tickets with their service, team, assignee and SLA policy (with its
calendar's working hours). Joining those tables for every row and building the model
instances cost more than the rest of the page. They are a few hundred small rows that
change a few times a week, so each process keeps them for a minute and attaches them to the
tickets it lists.

Only pages that read use this: services that change tickets load what they change from the
database. A name edited in the admin reaches the lists within a minute; an id this process
has not seen yet (a new agent, a new service) makes it reload, at most once a second, and
is read on its own in the meantime.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet

from accounts.models import Team, User

from .catalogue import Service
from .policies import SLAPolicy

MAX_AGE_SECONDS = 60.0
MIN_AGE_TO_RELOAD_SECONDS = 1.0


def _querysets(*, staff_only: bool = True) -> dict[str, QuerySet]:  # type: ignore[type-arg]
    """The reference data by the ticket field that points at it."""
    people = User.objects.all()
    return {
        "service": Service.objects.all(),
        "team": Team.objects.all(),
        # Deactivated staff too: tickets stay assigned to people who have left.
        "assignee": people.filter(role__in=User.STAFF_ROLES) if staff_only else people,
        "sla_policy": SLAPolicy.objects.select_related("calendar").prefetch_related(
            "calendar__hours", "calendar__holidays"
        ),
    }


@dataclass(frozen=True)
class Reference:
    by_field: dict[str, dict[int, Model]]
    loaded_at: float = field(default_factory=time.time)

    @classmethod
    def load(cls) -> Reference:
        by_field = {name: qs.in_bulk() for name, qs in _querysets().items()}
        for policy in by_field["sla_policy"].values():
            policy.calendar.schedule()  # read the hours and holidays once, now
        return cls(by_field=by_field)

    @property
    def age(self) -> float:
        return time.time() - self.loaded_at

    def missing(self, tickets: Iterable[Model]) -> dict[str, set[int]]:
        unknown: dict[str, set[int]] = {}
        for name, objects in self.by_field.items():
            ids = {getattr(ticket, f"{name}_id") for ticket in tickets} - objects.keys()
            ids.discard(None)  # type: ignore[arg-type]
            if ids:
                unknown[name] = ids
        return unknown


_current: Reference | None = None


def current() -> Reference:
    global _current
    if _current is None or _current.age > MAX_AGE_SECONDS:
        _current = Reference.load()
    return _current


def forget() -> None:
    """Drop what this process holds (tests start each case from their own data)."""
    global _current
    _current = None


def attach(tickets: Sequence[Model]) -> None:
    """Give each ticket its service, team, assignee and SLA policy from the reference data.

    The tickets are for showing: never save one after this.
    """
    global _current
    reference = current()
    missing = reference.missing(tickets)
    if missing and reference.age > MIN_AGE_TO_RELOAD_SECONDS:
        reference = _current = Reference.load()
        missing = reference.missing(tickets)
    querysets = _querysets(staff_only=False) if missing else {}
    for name, known in reference.by_field.items():
        if name in missing:
            # Ids a load does not hold (someone no longer staff, a service added this
            # second): one query for them, never one per row, kept until the next load.
            known.update(querysets[name].in_bulk(missing[name]))
        for ticket in tickets:
            related = known.get(getattr(ticket, f"{name}_id"))
            if related is not None:
                setattr(ticket, name, related)
