"""Reference data for busy pages: services, teams, staff and SLA policies, kept per process.

A queue page shows 25 tickets with their service, team, assignee and SLA policy (with its
calendar's working hours). Joining those tables for every row and building the model
instances cost more than the rest of the page. They are a few hundred small rows that
change a few times a week, so each process keeps them and attaches them to the tickets it
lists.

Only pages that read use this: services that change tickets load what they change from the
database. Every service and admin action that edits these rows bumps a version in the shared
cache (`servicedesk.versions`) after commit; each process reads that version once per page
and reloads when it changed, so an edit shows on the next page in every web worker and
replica. An id this process has not seen yet (a new agent, a new service) also makes it
reload, at most once a second, and is read on its own in the meantime. Changes made behind
the services' back (a shell, raw SQL) show after MAX_AGE_SECONDS at the latest.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet

from accounts.models import Team, User
from servicedesk import versions

from .catalogue import Service
from .policies import SLAPolicy

MAX_AGE_SECONDS = 3600.0
MIN_AGE_TO_RELOAD_SECONDS = 1.0


def _querysets(*, staff_only: bool = True) -> dict[str, QuerySet]:
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


def version() -> str:
    """The version of the reference data every process agrees on (one cache read).

    Include it in the key of any cached fragment built from services, teams, staff or SLA
    policies, so an edit replaces the fragment at once.
    """
    return versions.read(versions.PEOPLE, versions.CATALOGUE)


@dataclass(frozen=True)
class Reference:
    by_field: dict[str, dict[int, Model]]
    version: str
    loaded_at: float = field(default_factory=time.time)

    @classmethod
    def load(cls, *, version: str) -> Reference:
        """Read the rows now; `version` must have been read before, so a change in between
        leaves an older version on newer rows (a harmless reload), never the reverse."""
        by_field = {name: qs.in_bulk() for name, qs in _querysets().items()}
        for policy in by_field["sla_policy"].values():
            policy.calendar.schedule()  # read the hours and holidays once, now
        return cls(by_field=by_field, version=version)

    @property
    def age(self) -> float:
        return time.time() - self.loaded_at

    def missing(self, tickets: Iterable[Model]) -> dict[str, set[int]]:
        unknown: dict[str, set[int]] = {}
        for name, objects in self.by_field.items():
            ids = {getattr(ticket, f"{name}_id") for ticket in tickets} - objects.keys()
            ids.discard(None)
            if ids:
                unknown[name] = ids
        return unknown


class Holder:
    """The reference data one process keeps (tests make several to play several processes)."""

    def __init__(self) -> None:
        self._reference: Reference | None = None

    def current(self) -> Reference:
        """The reference data as of the shared version: one cache read, a reload if it moved."""
        shared = version()
        held = self._reference
        if held is None or held.version != shared or held.age > MAX_AGE_SECONDS:
            held = self._reference = Reference.load(version=shared)
        return held

    def forget(self) -> None:
        """Drop what this process holds (tests start each case from their own data)."""
        self._reference = None

    def attach(self, tickets: Sequence[Model], *, reference: Reference | None = None) -> None:
        """Give each ticket its service, team, assignee and SLA policy from the reference data.

        Pass `reference` when the page already read `current()`, to keep to one cache read.
        The tickets are for showing: never save one after this.
        """
        reference = reference or self.current()
        missing = reference.missing(tickets)
        if missing and reference.age > MIN_AGE_TO_RELOAD_SECONDS:
            reference = self._reference = Reference.load(version=reference.version)
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


_process = Holder()
current = _process.current
forget = _process.forget
attach = _process.attach
