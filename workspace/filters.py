from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Case, F, Value, When
from django.db.models.expressions import Combinable
from django.http import QueryDict

from accounts.models import Team, User
from servicedesk.widgets import Select
from tickets.models import Priority, Service, Ticket, TicketQuerySet, queue_teams

SORTS: dict[str, tuple[str | Combinable, ...]] = {
    "priority": ("priority", "created_at"),
    "due": (F("sla_due_at").asc(nulls_last=True), "priority"),
    "age": ("created_at",),
    "-age": ("-created_at",),
    "updated": ("-updated_at",),
}


def select(**attrs: str) -> Select:
    return Select(attrs={"class": "form-select form-select-sm", **attrs})


class TicketFilter(django_filters.FilterSet):
    """The queue's filters, search and sort; every choice list is scoped to the agent."""

    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "type": "search",
                "placeholder": "Number or words",
            }
        ),
    )
    status = django_filters.ChoiceFilter(
        choices=Ticket.Status.choices, empty_label="Open (any)", widget=select()
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, empty_label="Any priority", widget=select()
    )
    service = django_filters.ModelChoiceFilter(
        queryset=Service.objects.none(), empty_label="Any service", widget=select()
    )
    # An id from outside the agent's teams gets the same error as one that does not exist,
    # so a hand-edited URL learns nothing about other teams.
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.none(),
        empty_label="Any team",
        widget=select(),
        error_messages={"invalid_choice": "Not one of your teams."},
    )
    assignee = django_filters.ModelChoiceFilter(
        queryset=User.objects.none(),
        empty_label="Anyone",
        widget=select(),
        error_messages={"invalid_choice": "Not someone in your teams."},
    )
    sort = django_filters.ChoiceFilter(
        method="filter_sort",
        empty_label=None,
        label="Sort",
        choices=[
            ("priority", "Priority"),
            ("due", "SLA due first"),
            ("age", "Oldest first"),
            ("-age", "Newest first"),
            ("updated", "Recently updated"),
        ],
        widget=select(),
    )

    queryset: TicketQuerySet

    class Meta:
        model = Ticket
        fields = ["q", "status", "priority", "service", "team", "assignee", "sort"]

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: TicketQuerySet | None = None,
        *,
        user: User,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        service, team, assignee = (
            cast(django_filters.ModelChoiceFilter, self.filters[name])
            for name in ("service", "team", "assignee")
        )
        service.queryset = Service.objects.visible_to(user)
        # Only the teams whose tickets the agent sees, and the people working in them:
        # a filter by any other would list nothing and only reveal who exists.
        team.queryset = queue_teams(user)
        staff = User.objects.staff()
        if not user.is_admin:
            staff = staff.filter(teams__in=user.team_ids).distinct()
        assignee.queryset = staff

    @property
    def qs(self) -> TicketQuerySet:
        if self.form.is_bound and not self.form.is_valid():
            # A filter that was refused must not widen the list to everything it allows.
            return self.queryset.none()
        qs = cast(TicketQuerySet, super().qs)
        data = self.form.cleaned_data if self.form.is_bound else {}
        if not data.get("status"):
            qs = qs.open()
        order = SORTS.get(data.get("sort") or "priority", SORTS["priority"])
        number = Ticket.parse_number(data.get("q") or "")
        if number is not None:
            # The ticket of that number comes first, then those mentioning it, in queue order.
            order = (Case(When(pk=number, then=Value(0)), default=Value(1)), *order)
        return qs.order_by(*order)

    def filter_search(self, queryset: TicketQuerySet, name: str, value: str) -> TicketQuerySet:
        return queryset.search(value) if value.strip() else queryset

    def filter_sort(self, queryset: TicketQuerySet, name: str, value: str) -> TicketQuerySet:
        return queryset  # ordered in `qs`, after the search that may put one ticket first
