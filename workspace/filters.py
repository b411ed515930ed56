"""The workspace's list filters: what the queue and the knowledge list share; the queue's own."""

from typing import Any, Generic, TypeVar, cast

import django_filters
from django import forms
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.expressions import Combinable
from django.http import QueryDict

from accounts.models import Team, User
from servicedesk.widgets import Select
from tickets.models import Priority, Service, Ticket, TicketQuerySet, queue_teams

Order = tuple[str | Combinable, ...]
# A list's sorts: the value in the URL, what the menu says, and the order it gives.
Sorts = dict[str, tuple[str, Order]]
QS = TypeVar("QS", bound=QuerySet[Any])


def select(**attrs: str) -> Select:
    return Select(attrs={"class": "form-select form-select-sm", **attrs})


def search_filter(*, placeholder: str) -> django_filters.CharFilter:
    """The list's search box, handled by the list's own `filter_search`."""
    return django_filters.CharFilter(
        method="filter_search",
        label="Search",
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "type": "search",
                "placeholder": placeholder,
            }
        ),
    )


def service_filter(*, field_name: str = "service") -> django_filters.ModelChoiceFilter:
    """A service menu; `ListFilter` fills it with the services the agent sees."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        label="Service",
        queryset=Service.objects.none(),
        empty_label="Any service",
        widget=select(),
    )


class SortFilter(django_filters.ChoiceFilter):
    """The sort menu. It filters nothing: `ListFilter.qs` orders the list after every filter."""

    def __init__(self, sorts: Sorts) -> None:
        self.sorts = sorts
        # With none chosen, the menu shows the first sort, so that is the list's default.
        super().__init__(
            empty_label=None,
            label="Sort",
            choices=[(key, label) for key, (label, _order) in sorts.items()],
            widget=select(),
        )

    def filter(self, qs: QuerySet[Any], value: Any) -> QuerySet[Any]:
        return qs

    def order(self, value: str | None) -> Order:
        first = next(iter(self.sorts))
        return self.sorts.get(value or first, self.sorts[first])[1]


class ListFilter(django_filters.FilterSet, Generic[QS]):
    """A workspace list's filters, search and sort, with every choice list scoped to the agent.

    A list declares `q = search_filter(...)`, `service = service_filter(...)` and
    `sort = SortFilter(SORTS)`, and writes its own `filter_search`.
    """

    queryset: QS

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: QS | None = None,
        *,
        user: User,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        self.user = user
        service = cast(django_filters.ModelChoiceFilter, self.filters["service"])
        service.queryset = Service.objects.visible_to(user).only("name")

    @property
    def qs(self) -> QS:
        if self.form.is_bound and not self.form.is_valid():
            # A filter that was refused must not widen the list to everything it allows.
            return self.queryset.none()
        data = self.form.cleaned_data if self.form.is_bound else {}
        qs = self.when_left_empty(cast(QS, super().qs), data)
        return qs.order_by(*self.order(data))

    @property
    def filtered(self) -> bool:
        """Whether a filter narrows the list: a sort alone does not."""
        data = self.data or {}
        return any(data.get(name) for name in self.filters if name != "sort")

    def when_left_empty(self, queryset: QS, data: dict[str, Any]) -> QS:
        """What the list holds for the filters left empty: everything, unless a list says."""
        return queryset

    def order(self, data: dict[str, Any]) -> Order:
        return cast(SortFilter, self.filters["sort"]).order(data.get("sort"))


SORTS: Sorts = {
    "priority": ("Priority", ("priority", "created_at")),
    "due": ("SLA due first", (F("sla_due_at").asc(nulls_last=True), "priority")),
    "age": ("Oldest first", ("created_at",)),
    "-age": ("Newest first", ("-created_at",)),
    "updated": ("Recently updated", ("-updated_at",)),
}


class TicketFilter(ListFilter[TicketQuerySet]):
    """The queue's filters, search and sort."""

    q = search_filter(placeholder="Number or words")
    status = django_filters.ChoiceFilter(
        choices=Ticket.Status.choices, empty_label="Open (any)", widget=select()
    )
    priority = django_filters.ChoiceFilter(
        choices=Priority.choices, empty_label="Any priority", widget=select()
    )
    service = service_filter()
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
    sort = SortFilter(SORTS)

    class Meta:
        model = Ticket
        fields = ["q", "status", "priority", "service", "team", "assignee", "sort"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        team, assignee = (
            cast(django_filters.ModelChoiceFilter, self.filters[name])
            for name in ("team", "assignee")
        )
        # Only the teams whose tickets the agent sees, and the people working in them:
        # a filter by any other would list nothing and only reveal who exists.
        team.queryset = queue_teams(user)
        staff = User.objects.staff()
        if not user.is_admin:
            staff = staff.filter(teams__in=user.team_ids).distinct()
        assignee.queryset = staff

    def when_left_empty(self, queryset: TicketQuerySet, data: dict[str, Any]) -> TicketQuerySet:
        # With no status chosen, the queue is what is still open.
        return queryset if data.get("status") else queryset.open()

    def order(self, data: dict[str, Any]) -> Order:
        number = Ticket.parse_number(data.get("q") or "")
        if number is None:
            return super().order(data)
        # The ticket of that number comes first, then those mentioning it, in queue order.
        return (Case(When(pk=number, then=Value(0)), default=Value(1)), *super().order(data))

    def filter_search(self, queryset: TicketQuerySet, name: str, value: str) -> TicketQuerySet:
        return queryset.search(value) if value.strip() else queryset
