"""The requester's survey answers on the agent's ticket page, read in the ticket's own row.

The ticket page keeps its query count whatever the ticket's state: `with_answers()` adds the
answers (with their follow-ups) to the query that loads the ticket, as one JSON column
aggregated by the database, and `answers_of()` turns that column back into `Answer` rows
(each with its `follow_up` attached, or none) for the page. Only a resolved or closed ticket
can have answers (a reopen cancels an unanswered survey), so the subquery runs for those
alone. The answers come through `Answer.objects.visible_to(user)`, like every other road.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.models import Case, OuterRef, Subquery, When
from django.db.models.functions import JSONObject
from django.utils import timezone

from accounts.models import User
from tickets.models import Ticket, TicketQuerySet

from .models import Answer, FollowUp, Instrument

COLUMN = "survey_answers_rows"
ANSWER_FIELDS = ("id", "instrument", "score", "comment", "answered_at", "changed_at")
FOLLOW_UP_FIELDS = ("id", "owner_id", "status", "due_at", "outcome", "closed_at")
ANSWERED_STATUSES = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
ASKED = {Instrument.CSAT: 0, Instrument.CES: 1, Instrument.NPS: 2}


class JSONList(models.Aggregate):
    """The rows' values as one JSON array (Postgres' jsonb_agg, SQLite's json_group_array)."""

    function = "JSONB_AGG"
    output_field = models.JSONField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def with_answers(tickets: TicketQuerySet, user: User) -> TicketQuerySet:
    """`tickets`, each resolved or closed one carrying its answers that `user` may see."""
    row = {name: name for name in ANSWER_FIELDS}
    row |= {f"follow_up_{name}": f"follow_up__{name}" for name in FOLLOW_UP_FIELDS}
    answers = (
        Answer.objects.visible_to(user)
        .filter(invitation__ticket=OuterRef("pk"))
        .order_by()
        .values("invitation__ticket")
        .annotate(rows=JSONList(JSONObject(**row)))
        .values("rows")
    )
    return tickets.annotate(
        **{
            COLUMN: Case(
                When(status__in=ANSWERED_STATUSES, then=Subquery(answers)),
                default=None,
                output_field=models.JSONField(),
            )
        }
    )


def answers_of(ticket: Ticket) -> list[Answer] | None:
    """The answers read with the ticket, as they were asked; None if it was read without them."""
    if not hasattr(ticket, COLUMN):
        return None
    rows = getattr(ticket, COLUMN) or []
    return sorted((_answer(row) for row in rows), key=asked_first)


def asked_first(answer: Answer) -> int:
    """CSAT, then the CES question after it (then NPS), the order the survey asks them."""
    return ASKED[Instrument(answer.instrument)]


def _answer(row: dict[str, Any]) -> Answer:
    answer = Answer(**{name: _value(Answer, name, row[name]) for name in ANSWER_FIELDS})
    follow_up = None
    if row["follow_up_id"] is not None:
        follow_up = FollowUp(
            answer=answer,
            **{name: _value(FollowUp, name, row[f"follow_up_{name}"]) for name in FOLLOW_UP_FIELDS},
        )
    # Attached either way, so the page reading `answer.follow_up` never queries for it.
    Answer.follow_up.related.set_cached_value(answer, follow_up)
    return answer


def _value(model: type[models.Model], name: str, value: Any) -> Any:
    """A column's value from JSON as the model holds it (datetimes aware, in UTC)."""
    field = model._meta.get_field(name)
    if value is None or not isinstance(field, models.DateTimeField):
        return value
    parsed = value if isinstance(value, datetime) else field.to_python(value)
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)
