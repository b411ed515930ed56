from django import forms

from accounts.models import Team, User
from tickets.forms import MultipleFileField
from tickets.models import Priority, Service, Ticket
from tickets.services import AGENT_TRANSITIONS


class VersionedForm(forms.Form):
    """Carries the ticket version the agent saw, so stale edits become conflicts."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Message", max_length=20000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )  # fmt: skip
    internal = forms.BooleanField(
        label="Internal note (not shown to the requester)", required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )  # fmt: skip
    files = MultipleFileField(label="Attachments")


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, empty_label="Unassigned",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )  # fmt: skip

    def __init__(self, *args: object, ticket: Ticket, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # What the list shows and the service checks of the choice; never a password hash.
        members = (
            User.objects.staff()
            .filter(teams=ticket.team_id)
            .only("full_name", "email", "role", "is_active")
            .order_by("full_name")
        )
        self.fields["assignee"].queryset = members  # type: ignore[attr-defined]


class StatusForm(VersionedForm):
    status = forms.ChoiceField(
        choices=Ticket.Status.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: object, ticket: Ticket | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if ticket is not None:
            # Offer only the moves the lifecycle allows; the service still checks.
            allowed = AGENT_TRANSITIONS[ticket.status] | {ticket.status}
            self.fields["status"].widget.choices = [
                (value, label) for value, label in Ticket.Status.choices if value in allowed
            ]


class TriageForm(VersionedForm):
    priority = forms.TypedChoiceField(
        choices=Priority.choices, coerce=int,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )  # fmt: skip
    service = forms.ModelChoiceField(
        queryset=Service.objects.none(),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        services = Service.objects.visible_to(user).only("name", "owner_team", "is_active")
        self.fields["service"].queryset = services  # type: ignore[attr-defined]
        teams = Team.objects.visible_to(user).only("name", "tier", "lead")
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]
