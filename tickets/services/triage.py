"""The fields an agent triages: priority, service, team."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from tickets import sla
from tickets.models import Service, Ticket, TicketEvent, priority_for

from .editing import (
    lock_for_edit,
    notify_team,
    record_clock_events,
    record_event,
    require_staff,
    save_changes,
)


@transaction.atomic
def update_ticket(
    ticket: Ticket,
    *,
    by: User,
    version: int | None,
    priority: int | None = None,
    service: Service | None = None,
    team: Team | None = None,
) -> Ticket:
    """Change the triage fields an agent owns: priority, service and team.

    Moving a ticket to another team unassigns it unless the assignee is in that team
    too, and tells the new team.
    """
    require_staff(by, ticket)
    ticket = lock_for_edit(ticket, version)
    if ticket.is_final:
        raise ValidationError("A closed or cancelled ticket can't be changed.")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields: list[str] = []
    if priority is not None and priority != ticket.priority:
        before["priority"], after["priority"] = ticket.priority, priority
        ticket.priority = priority
        # A priority the matrix would not give is the agent's call, and the page says so.
        matrix = priority == priority_for(ticket.impact, ticket.urgency)
        ticket.priority_source = (
            Ticket.PrioritySource.MATRIX if matrix else Ticket.PrioritySource.MANUAL
        )
        fields += ["priority", "priority_source"]
    if service is not None and service.pk != ticket.service_id:
        before["service"], after["service"] = str(ticket.service), str(service)
        ticket.service = service
        fields.append("service")
    team_changed = team is not None and team.pk != ticket.team_id
    if team is not None and team_changed:
        before["team"], after["team"] = str(ticket.team), str(team)
        ticket.team = team
        fields.append("team")
        if ticket.assignee and not Team.objects.of(ticket.assignee).filter(pk=team.pk).exists():
            before["assignee"], after["assignee"] = str(ticket.assignee), None
            ticket.assignee = None
            fields.append("assignee")
    if not fields:
        return ticket
    now = timezone.now()
    reclassified = {"priority", "service"} & set(fields)
    clock = sla.on_reclassify(ticket, now=now) if reclassified else sla.Effect()
    save_changes(ticket, [*fields, *clock.fields], now=now)
    event = record_event(
        ticket, TicketEvent.Kind.UPDATED, by=by, before=before, after=after, now=now
    )
    record_clock_events(ticket, clock.events, by=by, now=now)
    if team_changed:
        notify_team(ticket, event, exclude=by)
    return ticket
