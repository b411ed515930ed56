from typing import Any, cast

from django import forms

from accounts.models import Team, User
from servicedesk.widgets import RadioSelect, Select
from tickets.forms import MultipleFileField
from tickets.models import Priority, Service, Ticket
from tickets.reference import Reference
from tickets.services import AGENT_TRANSITIONS


class VersionedForm(forms.Form):
    """Carries the ticket version the agent saw, so stale edits become conflicts."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CommentForm(forms.Form):
    """A public reply to the requester, or an internal note only staff see."""

    REPLY, NOTE = "reply", "note"

    mode = forms.ChoiceField(
        choices=[(REPLY, "Reply to requester"), (NOTE, "Internal note")],
        initial=REPLY,
        widget=RadioSelect(attrs={"class": "btn-check"}),
    )
    body = forms.CharField(
        label="Message",
        max_length=20000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
    files = MultipleFileField(label="Attachments")  # type: ignore[assignment]  # a field, not BaseForm.files

    @property
    def internal(self) -> bool:
        return self.cleaned_data.get("mode") == self.NOTE


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(
        label="Assign to",
        queryset=User.objects.none(),
        required=False,
        empty_label="Unassigned",
        widget=Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the list shows and the service checks of the choice; never a password hash.
        members = (
            User.objects.staff()
            .filter(teams=ticket.team_id)
            .only("full_name", "email", "role", "is_active")
            .order_by("full_name")
        )
        cast(forms.ModelChoiceField, self.fields["assignee"]).queryset = members


class StatusForm(VersionedForm):
    status = forms.ChoiceField(
        label="Status",
        choices=Ticket.Status.choices,
        widget=Select(attrs={"class": "form-select form-select-sm"}),
    )
    # Needed when the move is to "waiting on requester": it is sent to them (the service
    # checks too). Shown by the page only when that status is chosen.
    question = forms.CharField(
        label="What do you need from the requester?",
        required=False,
        max_length=20000,
        widget=forms.Textarea(
            attrs={
                "class": "form-control form-control-sm",
                "rows": 3,
                "data-needed-when": "pending",
            }
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") == Ticket.Status.PENDING and not data.get("question", "").strip():
            self.add_error("question", "Tell the requester what you need from them.")
        return data

    def __init__(self, *args: Any, ticket: Ticket | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if ticket is not None:
            # Offer only the moves the lifecycle allows; the service still checks.
            allowed = AGENT_TRANSITIONS[ticket.status] | {ticket.status}
            # The field's choices, not only the widget's: a move the menu does not offer is
            # refused by the form as well.
            field = cast(forms.ChoiceField, self.fields["status"])
            field.error_messages["invalid_choice"] = (
                f"A ticket that is {ticket.get_status_display().lower()} can't be moved to that status."
            )
            field.choices = [
                (value, label) for value, label in Ticket.Status.choices if value in allowed
            ]


class TriageForm(VersionedForm):
    priority = forms.TypedChoiceField(
        choices=Priority.choices,
        coerce=int,
        widget=Select(attrs={"class": "form-select form-select-sm"}),
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        widget=Select(attrs={"class": "form-select form-select-sm"}),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        widget=Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(
        self, *args: Any, user: User, reference: Reference | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        services = Service.objects.visible_to(user).only("name", "owner_team", "is_active")
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services
        teams = Team.objects.visible_to(user).only("name", "tier", "lead")
        cast(forms.ModelChoiceField, self.fields["team"]).queryset = teams
        if reference is not None and user.is_staff_member:
            # Staff may pick any service and team: the menus are drawn from the reference
            # data this process keeps, in the lists' order, so drawing them reads nothing.
            # A choice sent is still checked against the database (the querysets above).
            known = reference.by_field
            self._menu("service", sorted(known["service"].values(), key=_by_name))
            self._menu("team", sorted(known["team"].values(), key=_by_tier_and_name))

    def _menu(self, name: str, objects: list[Any]) -> None:
        field = cast(forms.ModelChoiceField, self.fields[name])
        chosen = self.initial.get(name)
        if chosen is not None and all(obj.pk != chosen for obj in objects):
            return  # newer than this process's copy (a service added this second): read it

        empty = [("", field.empty_label)] if field.empty_label is not None else []
        field.widget.choices = [*empty, *((obj.pk, str(obj)) for obj in objects)]


def _by_name(row: Any) -> tuple[str, int]:
    return (row.name.casefold(), row.pk)


def _by_tier_and_name(row: Any) -> tuple[int, str, int]:
    return (row.tier, row.name.casefold(), row.pk)
