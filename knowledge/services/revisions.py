"""An article's revisions: the text they hold, which one an edit starts from, and the steps
every service takes to make one the readers' text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import F, Q

from accounts.models import User
from knowledge.models import Article, Revision

Status, State = Article.Status, Revision.State
# Statuses whose text readers have (or had): an ordinary agent's edit of one waits for review.
REVIEWED_STATUSES = (Status.PUBLISHED, Status.RETIRED)
# An article readers often say did not help needs a look, even before its review date.
MANY_NO_VOTES = 5


class ConflictError(ValidationError):
    """The article's text changed since the person opened it."""


class _Keep:
    """The value of `review_by` that leaves an article's review date as it is."""


KEEP = _Keep()


@dataclass(frozen=True)
class Text:
    """What a revision holds of an article: the text readers see."""

    title: str
    summary: str = ""
    body: str = ""
    video_url: str = ""

    @classmethod
    def of(cls, source: Article | Revision) -> Text:
        return cls(source.title, source.summary, source.body, source.video_url)

    def cleaned(self) -> Text:
        text = Text(
            title=" ".join(self.title.split()),
            summary=" ".join(self.summary.split()),
            body=self.body.replace("\r\n", "\n").strip("\n"),
            video_url=self.video_url.strip(),
        )
        errors = {}
        if not text.title:
            errors["title"] = "Give the article a title."
        if not text.body.strip():
            errors["body"] = "Write the steps first."
        if text.video_url and not text.video_url.lower().startswith(("https://", "http://")):
            errors["video_url"] = "A video link must start with https:// (or http://)."
        if errors:
            raise ValidationError(errors)
        return text


def needs_review(today: date) -> Q:
    """Articles due a second look: past their review date, or many readers said No."""
    return Q(review_by__lt=today) | Q(
        unhelpful_count__gte=MANY_NO_VOTES, unhelpful_count__gt=F("helpful_count")
    )


def working_revision(article: Article) -> Revision | None:
    """The text an edit starts from: the edit waiting for review, else the current text."""
    pending = pending_revision(article)
    return pending or article.current_revision


def pending_revision(article: Article) -> Revision | None:
    return (
        Revision.objects.filter(article=article, state=State.IN_REVIEW)
        .select_related("author")
        .order_by("-pk")
        .first()
    )


def lock_article(article: Article) -> Article:
    # Edits and reviews of one article queue up behind each other, so the check of the
    # revision an edit was based on and the write of the next one cannot interleave.
    return (
        Article.objects.select_for_update(of=("self",))
        .select_related("current_revision")
        .get(pk=article.pk)
    )


def mark_submitted(article: Article, revision: Revision) -> None:
    revision.state = State.IN_REVIEW
    revision.save(update_fields=["state"])
    article.status = Status.IN_REVIEW
    article.save(update_fields=["status"])


def mark_approved(
    article: Article, revision: Revision, *, by: User, note: str, now: datetime
) -> None:
    revision.state = State.APPROVED
    revision.reviewed_by, revision.reviewed_at, revision.review_note = by, now, note
    revision.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
    fields = show_revision(article, revision, now=now, save=False)
    if article.status in (Status.DRAFT, Status.IN_REVIEW):
        article.status = Status.PUBLISHED
        article.published_at = now
        fields += ["status", "published_at"]
    article.save(update_fields=fields)


def show_revision(
    article: Article, revision: Revision, *, now: datetime, save: bool = True
) -> list[str]:
    """Make `revision` the article's own text, the one readers see."""
    article.title, article.summary = revision.title, revision.summary
    article.body, article.video_url = revision.body, revision.video_url
    article.current_revision = revision
    article.updated_at = now
    fields = ["title", "summary", "body", "video_url", "current_revision", "updated_at"]
    if save:
        article.save(update_fields=fields)
    return fields
