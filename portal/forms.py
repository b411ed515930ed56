from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from servicedesk.widgets import RadioSelect, Select
from tickets.forms import MultipleFileField
from tickets.models import Level, Service, Ticket


class TicketForm(forms.Form):
    category = forms.ChoiceField(
        label="What do you need?",
        choices=[
            (Ticket.Category.INCIDENT, "Something is broken or not working"),
            (Ticket.Category.REQUEST, "I need something: access, equipment, a change"),
        ],
        initial=Ticket.Category.INCIDENT,
        widget=RadioSelect(attrs={"class": "form-check-input"}),
    )
    service = forms.ModelChoiceField(
        label="Which service is it about?",
        queryset=Service.objects.none(),
        empty_label="Choose a service",
        widget=Select(attrs={"class": "form-select"}),
    )
    subject = forms.CharField(
        label="Summary",
        max_length=200,
        help_text="One line, e.g. “Can't connect to VPN from home”.",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label="Details",
        max_length=20000,
        help_text="What happened, what you expected, and any error message you saw.",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 6}),
    )
    impact = forms.ChoiceField(
        label="How many people are affected?",
        choices=[
            (Level.LOW, "Just me"),
            (Level.MEDIUM, "My team or several people"),
            (Level.HIGH, "A whole department or everyone"),
        ],
        initial=Level.LOW,
        widget=RadioSelect(attrs={"class": "form-check-input"}),
    )
    urgency = forms.ChoiceField(
        label="How soon do you need it?",
        choices=[
            (Level.LOW, "Within a few days is fine"),
            (Level.MEDIUM, "Today: it is slowing my work down"),
            (Level.HIGH, "Now: I can't work"),
        ],
        initial=Level.LOW,
        widget=RadioSelect(attrs={"class": "form-check-input"}),
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a field, not BaseForm.files
        label="Attachments", help_text="Screenshots or files, up to 5, 10 MB each."
    )
    submission_token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        max_length=20000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )
    files = MultipleFileField(label="Attachments")  # type: ignore[assignment]  # a field, not BaseForm.files


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="What is still not working?",
        max_length=20000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False)


def service_choice(label: str, empty_label: str) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=Service.objects.none(),
        required=False,
        empty_label=empty_label,
        widget=Select(attrs={"class": "form-select"}),
    )


class ServicesForm(forms.Form):
    """A form with a `service` menu of the catalogue the person may choose from."""

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["service"]).queryset = services


class KnowledgeSearchForm(ServicesForm):
    """The help search: words, and optionally the service they are about."""

    q = forms.CharField(
        label="Search for help",
        max_length=200,
        required=False,
        error_messages={
            "max_length": "That search is %(show_value)d characters long: use at most "
            "%(limit_value)d characters."
        },
    )
    service = service_choice("Service", "All services")


class SuggestForm(ServicesForm):
    """What the submit form sends as the person types: their summary and chosen service.

    `box` names one suggestion box (one render of the form), so its many requests update
    one row of the search log; `category` is only carried on to the form.
    """

    subject = forms.CharField(
        label="In a few words, what do you need help with?",
        max_length=200,
        error_messages={"required": "Tell us in a few words what you need help with."},
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    service = service_choice("Which service is it about?", "Any service")
    box = forms.RegexField(
        regex=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
        required=False,
        widget=forms.HiddenInput,
    )
    category = forms.ChoiceField(
        choices=[(Ticket.Category.INCIDENT, "incident"), (Ticket.Category.REQUEST, "request")],
        required=False,
        widget=forms.HiddenInput,
    )


class FeedbackForm(forms.Form):
    """ "Did this solve your problem?", and what was missing (optional, after a No)."""

    helpful = forms.TypedChoiceField(
        choices=[("yes", "Yes"), ("no", "No")], coerce=lambda value: value == "yes"
    )
    comment = forms.CharField(
        label="What was missing?",
        required=False,
        max_length=1000,
        help_text="What were you looking for, or which step didn't work?",
        error_messages={
            "max_length": "Please keep it under %(limit_value)d characters "
            "(this is %(show_value)d)."
        },
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )


class SurveyAnswerForm(forms.Form):
    """The answer page's form: the score the link asks for, an optional comment, and the CES
    question when the invitation asks it. The choices are the instrument's scale."""

    score = forms.TypedChoiceField(coerce=int, label="Your answer")
    comment = forms.CharField(
        label="Anything you would like to tell us?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    ces = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, instrument: str, asks_ces: bool, **kwargs: Any) -> None:
        from surveys.models import Instrument
        from surveys.questions import QUESTIONS, SCALES

        super().__init__(*args, **kwargs)
        score = cast(forms.TypedChoiceField, self.fields["score"])
        score.label = QUESTIONS[instrument]
        score.choices = [(c.score, c.label) for c in SCALES[instrument]]
        score.error_messages["invalid_choice"] = (
            f"Choose one of the answers, from {SCALES[instrument][0].score} "
            f"to {SCALES[instrument][-1].score}."
        )
        if asks_ces:
            ces = cast(forms.TypedChoiceField, self.fields["ces"])
            ces.label = QUESTIONS[Instrument.CES]
            ces.choices = [(c.score, c.label) for c in SCALES[Instrument.CES]]
            ces.error_messages["invalid_choice"] = "Choose one of the answers, from 1 to 7."
        else:
            del self.fields["ces"]
