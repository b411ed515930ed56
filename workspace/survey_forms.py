"""The workspace's survey forms: a team lead's follow-up of a low answer, and the agent pulse."""

from typing import Any, cast

from django import forms

from accounts.models import Team
from servicedesk.widgets import RadioSelect
from surveys.followups import ACTION_MAX_LENGTH
from surveys.models import FollowUp
from surveys.pulse import ENPS_QUESTION, WORKLOAD_CHOICES, WORKLOAD_QUESTION


class ContactedAt(forms.DateTimeField):
    widget = forms.DateTimeInput(
        attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
    )


class ContactForm(forms.Form):
    """Record a contact now and close later, once the outcome is known."""

    contacted_at = ContactedAt(
        label="Date and time of the contact",
        help_text="Record the call or meeting now; close the follow-up once you know how it ended.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The page shows this form next to the close form: ids of their own.
        kwargs.setdefault("auto_id", "contact-%s")
        super().__init__(*args, **kwargs)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did it end?",
        choices=FollowUp.Outcome.choices,
        widget=RadioSelect(attrs={"class": "form-check-input"}),
    )
    contacted_at = ContactedAt(
        label="When you reached them",
        required=False,
        help_text="Left empty: now, for Recovered or Not recovered. Could not reach needs none.",
    )
    action_taken = forms.CharField(
        label="What changed",
        required=False,
        max_length=ACTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        help_text="What the team did or changed, in words the requester understands.",
    )
    tell_requester = forms.BooleanField(
        label="Tell the requester what changed, by email",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, can_tell: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "close-%s")
        super().__init__(*args, **kwargs)
        if not can_tell:
            del self.fields["tell_requester"]


class PulseForm(forms.Form):
    enps = forms.TypedChoiceField(
        label=ENPS_QUESTION,
        coerce=int,
        choices=[(n, str(n)) for n in range(11)],
        error_messages={"required": "Choose a number from 0 to 10."},
    )
    workload = forms.TypedChoiceField(
        label=WORKLOAD_QUESTION,
        coerce=int,
        choices=WORKLOAD_CHOICES,
        error_messages={"required": "Choose how much you agree."},
    )
    team = forms.ModelChoiceField(
        label="The team you answer for",
        queryset=Team.objects.none(),
        widget=RadioSelect(attrs={"class": "form-check-input"}),
        empty_label=None,
    )

    def __init__(self, *args: Any, teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(teams) < 2:
            del self.fields["team"]  # one team (or none): the answer counts for it
        else:
            field = cast(forms.ModelChoiceField, self.fields["team"])
            field.queryset = Team.objects.filter(pk__in=[t.pk for t in teams])
