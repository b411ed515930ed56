"""The editor's forms: an article's text and filing, a review note, a screenshot."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.utils import timezone

from accounts.models import User
from servicedesk.widgets import RadioSelect
from tickets.models import Comment, Service, Ticket

from .models import Article
from .services import Text

# A link the preview may show as it is typed: http(s), then no spaces or quotes.
WEB_ADDRESS = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
BODY_MAX_LENGTH = 100_000
# A new article is due for a second look in about six months: steps and screens change.
REVIEW_AFTER = timedelta(days=182)


class ArticleForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        help_text="What the reader wants to do or fix, in their words: “Connect to the VPN from home”.",
    )
    summary = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        help_text="One sentence shown under the title in search results.",
    )
    body = forms.CharField(
        label="Steps",
        max_length=BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(
            attrs={"class": "form-control font-monospace sd-editor-text", "rows": 18}
        ),
        help_text="Markdown: numbered steps (1. 2. 3.), **bold** for what to click, "
        "`code` for what to type, ![What it shows](image:ID) for a screenshot.",
    )
    video_url = forms.URLField(
        label="Video link",
        required=False,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "form-control", "placeholder": "https://"}),
        help_text="A short video of the steps, shown as a link next to them (not embedded).",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    tags = forms.CharField(
        max_length=400,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
        help_text="Comma-separated words people search with: vpn, remote, anyconnect.",
    )
    audience = forms.ChoiceField(
        label="Who reads it",
        choices=Article.Audience.choices,
        initial=Article.Audience.EVERYONE,
        widget=RadioSelect(attrs={"class": "form-check-input"}),
    )
    review_by = forms.DateField(
        label="Review by",
        required=False,
        # A date field's value is always ISO (YYYY-MM-DD), whatever the locale writes.
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format="%Y-%m-%d"),
        help_text="When someone should check it is still right.",
    )
    comment = forms.CharField(
        label="What did you change?",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off"}),
    )
    # The revision the text was loaded from (0: none yet), so a stale edit is a conflict.
    based_on = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    ticket = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = Service.objects.visible_to(user).only("name")
        cast(forms.ModelMultipleChoiceField, self.fields["services"]).queryset = services

    def clean_video_url(self) -> str:
        url: str = self.cleaned_data.get("video_url", "")
        if url and not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError("A video link must start with https:// (or http://).")
        return url

    def clean_tags(self) -> list[str]:
        names = [name.strip().lower() for name in self.cleaned_data.get("tags", "").split(",")]
        names = list(dict.fromkeys(name for name in names if name))
        if any(len(name) > 40 for name in names):
            raise forms.ValidationError("Keep each tag under 40 characters.")
        return names

    @property
    def text(self) -> Text:
        data = self.cleaned_data
        return Text(data["title"], data["summary"], data["body"], data["video_url"])

    def preview_text(self) -> Text:
        """What was typed, valid or not: the preview shows it as it stands.

        Except a video link that is not a web address: the preview shows it as a link.
        """
        data = self.data
        video = str(data.get("video_url", "")).strip()
        return Text(
            str(data.get("title", "")),
            str(data.get("summary", "")),
            str(data.get("body", ""))[:BODY_MAX_LENGTH],
            video if WEB_ADDRESS.fullmatch(video) else "",
        )


def initial_for(article: Article, text: Text, based_on: int) -> dict[str, Any]:
    """The editor's fields for an article, with the text it edits (maybe an edit in review)."""
    return {
        "title": text.title,
        "summary": text.summary,
        "body": text.body,
        "video_url": text.video_url,
        "services": list(article.services.all()),
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "audience": article.audience,
        "review_by": article.review_by,
        "based_on": based_on,
    }


def initial_from_ticket(ticket: Ticket, *, user: User) -> dict[str, Any]:
    """A new article's fields from a ticket: its problem, and how it was solved.

    The solution is the last public reply from staff (internal notes stay internal: an
    article may be read by everyone).
    """
    answer = (
        Comment.objects.visible_to(user)
        .filter(ticket=ticket, is_internal=False)
        .exclude(author_id=ticket.requester_id)
        .order_by("-created_at", "-pk")
        .only("body")
        .first()
    )
    solution = answer.body.strip() if answer else "1. …"
    body = f"## Problem\n\n{ticket.description.strip()}\n\n## Solution\n\n{solution}\n"
    return {
        "title": ticket.subject,
        "summary": "",
        "body": body,
        "services": [ticket.service_id],
        "audience": Article.Audience.EVERYONE,
        "review_by": timezone.localdate() + REVIEW_AFTER,
        "comment": f"Written from ticket {ticket.number}",
        "ticket": ticket.pk,
        "based_on": 0,
    }


class ReviewForm(forms.Form):
    note = forms.CharField(
        label="Note for the author",
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class ImageForm(forms.Form):
    image = forms.FileField(
        label="Screenshot",
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control form-control-sm",
                "accept": "image/png,image/jpeg,image/gif,image/webp",
            }
        ),
        help_text="PNG, JPEG, GIF or WebP, up to 5 MB.",
    )
    caption = forms.CharField(
        label="What it shows",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
