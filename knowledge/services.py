"""Writing the knowledge base: articles, their revisions, review, publishing and images.

Every saved change of an article's text is a `Revision`. Who may do what:

- Any staff member writes: new articles (drafts, which they may send for review) and
  edits of existing ones.
- Knowledge editors (managers, admins, and agents given `knowledge.publish_article`)
  also publish, retire, approve and reject. Their edits of a published article are
  published as they save them.
- An ordinary agent's edit of an article readers already have (published, or retired
  after it was) waits for review: readers keep the published text until an editor
  approves the edit.

An article's own title, summary, body and video link are what readers see; for an article
never published they are simply its latest draft. At most one revision of an article waits
for review at a time: an edit made on top of it takes its place (it stays in the history
as a draft step), so the editor approves the newest text, never an outdated one.

Edits carry the revision they were based on (`based_on`): an edit of text that someone
else has changed since is refused with a `ConflictError`, and the form gives the person's
text back, so nothing is silently overwritten and nothing is lost.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from tickets.models import Service, Ticket

from . import images as image_rules
from .models import Article, ArticleImage, Revision, Tag, TicketLink

Status, State = Article.Status, Revision.State
# Statuses whose text readers have (or had): an ordinary agent's edit of one waits for review.
REVIEWED_STATUSES = (Status.PUBLISHED, Status.RETIRED)
SLUG_LENGTH = 100
MAX_TAGS = 12
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


def can_publish(user: User) -> bool:
    """Knowledge editors: managers and admins always, agents given the editor flag."""
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        return False
    return user.is_manager or user.is_admin or user.has_perm("knowledge.publish_article")


def require_staff(user: User) -> None:
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        raise PermissionDenied("Only service desk staff write articles.")


def require_editor(user: User) -> None:
    if not can_publish(user):
        raise PermissionDenied(
            "Only knowledge editors (managers, admins and agents with the editor flag) "
            "can publish, retire or review articles."
        )


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


@transaction.atomic
def create_article(
    *,
    text: Text,
    by: User,
    audience: str = Article.Audience.EVERYONE,
    services: Iterable[Service] = (),
    tags: Iterable[str] = (),
    review_by: date | None = None,
    comment: str = "",
    submit: bool = False,
    publish: bool = False,
    ticket: Ticket | None = None,
) -> Article:
    """Start an article as a draft, sent for review or (by an editor) published.

    Written from a ticket, the article is linked to it ("written from the ticket").
    """
    require_staff(by)
    if publish:
        require_editor(by)
    if ticket is not None and not Ticket.objects.visible_to(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied("This ticket is not in your teams.")
    text = text.cleaned()
    _check_audience(audience)
    now = timezone.now()
    article = _insert_with_unique_slug(
        Article(
            title=text.title,
            summary=text.summary,
            body=text.body,
            video_url=text.video_url,
            audience=audience,
            status=Status.IN_REVIEW if submit else Status.DRAFT,
            owner=by,
            review_by=review_by,
            created_at=now,
            updated_at=now,
        )
    )
    revision = Revision.objects.create(
        article=article,
        **_fields(text),
        author=by,
        comment=comment.strip() or "First version",
        state=State.IN_REVIEW if submit else State.DRAFT,
        created_at=now,
    )
    article.current_revision = revision
    article.save(update_fields=["current_revision"])
    article.services.set(services)
    article.tags.set(_tags(tags))
    if publish:
        _approve(article, revision, by=by, note="", now=now)
    if ticket is not None:
        TicketLink.objects.get_or_create(
            ticket=ticket,
            article=article,
            defaults={
                "relation": TicketLink.Relation.CREATED_FROM,
                "linked_by": by,
                "created_at": now,
            },
        )
    return article


@transaction.atomic
def save_edit(
    article: Article,
    *,
    text: Text,
    based_on: int | None,
    by: User,
    comment: str = "",
    audience: str | None = None,
    services: Iterable[Service] | None = None,
    tags: Iterable[str] | None = None,
    review_by: date | None | _Keep = KEEP,
    submit: bool = False,
    publish: bool = False,
) -> Revision:
    """Save an edit as a new revision, published, sent for review or kept as a draft.

    `based_on` is the revision the person edited (the page's `working_revision`, 0 for an
    article that has none yet): if the text has moved on since, a ConflictError says so
    and nothing is saved. Filing
    (services, tags, review date) applies at once; who reads a published article (its
    audience) is an editor's decision. Saving text identical to the revision it was based
    on makes no new revision.
    """
    require_staff(by)
    if publish:
        require_editor(by)
    article = _lock(article)
    working = working_revision(article)
    _check_base(article, working, based_on)
    text = text.cleaned()
    editor = can_publish(by)
    now = timezone.now()
    metadata = _file(article, editor=editor, audience=audience, services=services, tags=tags)
    if not isinstance(review_by, _Keep) and review_by != article.review_by:
        article.review_by = review_by
        metadata.append("review_by")
    if working is not None and Text.of(working) == text:
        revision = working
    else:
        revision = _new_revision(article, text, based_on=working, by=by, comment=comment, now=now)
    article.updated_at = now
    article.save(update_fields=[*metadata, "updated_at"])
    if (submit or publish) and article.status == Status.DRAFT:
        if revision.state == State.REJECTED:
            raise ValidationError(
                "This text was not approved: change it as the review note asks, then send it again."
            )
        _submit(article, revision)
    if publish and revision.state == State.IN_REVIEW:
        _approve(article, revision, by=by, note="", now=now)
    return revision


@transaction.atomic
def restore_revision(
    article: Article, revision: Revision, *, based_on: int | None, by: User
) -> Revision:
    """Bring back an old revision's text as a new revision, under the same review rule."""
    if revision.article_id != article.pk:
        raise ValidationError("That revision belongs to another article.")
    when = timezone.localtime(revision.created_at)
    return save_edit(
        article,
        text=Text.of(revision),
        based_on=based_on,
        by=by,
        comment=f"Restored revision {revision.pk} of {when:%d %b %Y %H:%M} by {revision.author}",
        review_by=KEEP,
    )


@transaction.atomic
def submit_for_review(article: Article, *, by: User) -> Revision:
    """Ask a knowledge editor to review a new article's draft before it is published."""
    require_staff(by)
    article = _lock(article)
    if article.status != Status.DRAFT:
        raise ValidationError(
            "Only a draft is sent for review; edits of a published article go to review "
            "as they are saved."
        )
    revision = article.current_revision
    if revision is None:
        raise ValidationError("This article has no text to review yet.")
    _submit(article, revision)
    return revision


@transaction.atomic
def approve_revision(revision: Revision, *, by: User, note: str = "") -> Revision:
    """Accept an edit waiting for review: readers see its text from now on."""
    require_editor(by)
    article = _lock(revision.article)
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != State.IN_REVIEW:
        raise ValidationError(
            f"This revision is no longer waiting for review (it is {revision.get_state_display().lower()})."
        )
    _approve(article, revision, by=by, note=note.strip(), now=timezone.now())
    return revision


@transaction.atomic
def reject_revision(revision: Revision, *, by: User, note: str) -> Revision:
    """Send an edit back with a note saying why; readers keep the published text."""
    require_editor(by)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what needs to change, so the author can fix it."})
    article = _lock(revision.article)
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != State.IN_REVIEW:
        raise ValidationError(
            f"This revision is no longer waiting for review (it is {revision.get_state_display().lower()})."
        )
    now = timezone.now()
    revision.state = State.REJECTED
    revision.reviewed_by, revision.reviewed_at, revision.review_note = by, now, note
    revision.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
    if article.status == Status.IN_REVIEW:
        # A new article goes back to its author as a draft, with the note to act on.
        article.status = Status.DRAFT
        article.updated_at = now
        article.save(update_fields=["status", "updated_at"])
    return revision


@transaction.atomic
def publish_article(article: Article, *, by: User) -> Article:
    """Show an article to its readers: a new one with its current text, or a retired one again.

    An edit waiting for review stays waiting: publishing is not approving it.
    """
    require_editor(by)
    article = _lock(article)
    if article.status == Status.PUBLISHED:
        raise ValidationError("This article is already published.")
    now = timezone.now()
    revision = article.current_revision
    if revision is not None and revision.state != State.APPROVED:
        # Text never published before: publishing it is approving it.
        _approve(article, revision, by=by, note="", now=now)
    if article.status == Status.PUBLISHED:
        return article
    article.status = Status.PUBLISHED
    article.published_at, article.retired_at, article.updated_at = now, None, now
    article.save(update_fields=["status", "published_at", "retired_at", "updated_at"])
    return article


@transaction.atomic
def retire_article(article: Article, *, by: User) -> Article:
    """Take an article away from readers (out of date, replaced); it stays in the editor."""
    require_editor(by)
    article = _lock(article)
    if article.status == Status.RETIRED:
        raise ValidationError("This article is already retired.")
    now = timezone.now()
    if article.status == Status.IN_REVIEW:
        # Nothing is waiting to be published any more.
        Revision.objects.filter(article=article, state=State.IN_REVIEW).update(state=State.DRAFT)
    article.status = Status.RETIRED
    article.retired_at = article.updated_at = now
    article.save(update_fields=["status", "retired_at", "updated_at"])
    return article


@transaction.atomic
def upload_image(
    article: Article, *, file: UploadedFile, by: User, caption: str = ""
) -> ArticleImage:
    """Keep a screenshot for an article if its bytes are a real PNG, JPEG, GIF or WebP picture.

    It is stored under a name of its own with the extension of the format found, whatever
    the upload was called; its place in the text is `![caption](image:ID)`.
    """
    require_staff(by)
    if not Article.objects.visible_to(by).filter(pk=article.pk).exists():
        raise PermissionDenied
    picture, data = image_rules.check_upload(file)
    image = ArticleImage(
        article=article,
        content_type=picture.content_type,
        width=picture.width,
        height=picture.height,
        caption=" ".join(caption.split())[:200],
        uploaded_by=by,
        created_at=timezone.now(),
    )
    image.file.save(f"{uuid.uuid4().hex}.{picture.extension}", ContentFile(data), save=False)
    image.save()
    return image


def _lock(article: Article) -> Article:
    # Edits and reviews of one article queue up behind each other, so the check of the
    # revision an edit was based on and the write of the next one cannot interleave.
    return (
        Article.objects.select_for_update(of=("self",))
        .select_related("current_revision")
        .get(pk=article.pk)
    )


def _check_base(article: Article, working: Revision | None, based_on: int | None) -> None:
    if based_on is None or (working.pk if working else 0) == based_on:
        return
    who = (
        f"{working.author} saved a newer version of this article "
        f"({timezone.localtime(working.created_at):%d %b %H:%M})"
        if working
        else "Someone else saved a newer version of this article"
    )
    raise ConflictError(
        f"{who} while you were editing. Your text is still in the form: compare it with "
        "theirs (History), then save again to keep yours.",
        code="conflict",
    )


def _check_audience(audience: str) -> None:
    if audience not in Article.Audience.values:
        raise ValidationError({"audience": "Choose who reads the article."})


def _file(
    article: Article,
    *,
    editor: bool,
    audience: str | None,
    services: Iterable[Service] | None,
    tags: Iterable[str] | None,
) -> list[str]:
    """Apply the article's filing; the changed fields of the article row."""
    fields = []
    if audience is not None and audience != article.audience:
        _check_audience(audience)
        if article.status in REVIEWED_STATUSES and not editor:
            raise ValidationError(
                {"audience": "Only a knowledge editor can change who reads a published article."}
            )
        article.audience = audience
        fields.append("audience")
    if services is not None:
        article.services.set(services)
    if tags is not None:
        article.tags.set(_tags(tags))
    return fields


def _new_revision(
    article: Article,
    text: Text,
    *,
    based_on: Revision | None,
    by: User,
    comment: str,
    now: datetime,
) -> Revision:
    if article.status in REVIEWED_STATUSES:
        state = State.APPROVED if can_publish(by) else State.IN_REVIEW
    else:
        state = State.IN_REVIEW if article.status == Status.IN_REVIEW else State.DRAFT
    # Only the newest edit waits for review: an edit waiting before it was the text this one
    # started from (see `working_revision`), so it is a step in the history now, a draft.
    Revision.objects.filter(article=article, state=State.IN_REVIEW).update(state=State.DRAFT)
    revision = Revision.objects.create(
        article=article,
        **_fields(text),
        author=by,
        comment=comment.strip()[:300],
        state=state,
        based_on=based_on,
        created_at=now,
    )
    if state == State.APPROVED:
        revision.reviewed_by, revision.reviewed_at = by, now
        revision.save(update_fields=["reviewed_by", "reviewed_at"])
    if state != State.IN_REVIEW or article.status not in REVIEWED_STATUSES:
        _show(article, revision, now=now)
    return revision


def _submit(article: Article, revision: Revision) -> None:
    revision.state = State.IN_REVIEW
    revision.save(update_fields=["state"])
    article.status = Status.IN_REVIEW
    article.save(update_fields=["status"])


def _approve(article: Article, revision: Revision, *, by: User, note: str, now: datetime) -> None:
    revision.state = State.APPROVED
    revision.reviewed_by, revision.reviewed_at, revision.review_note = by, now, note
    revision.save(update_fields=["state", "reviewed_by", "reviewed_at", "review_note"])
    fields = _show(article, revision, now=now, save=False)
    if article.status in (Status.DRAFT, Status.IN_REVIEW):
        article.status = Status.PUBLISHED
        article.published_at = now
        fields += ["status", "published_at"]
    article.save(update_fields=fields)


def _show(article: Article, revision: Revision, *, now: datetime, save: bool = True) -> list[str]:
    """Make `revision` the article's own text, the one readers see."""
    article.title, article.summary = revision.title, revision.summary
    article.body, article.video_url = revision.body, revision.video_url
    article.current_revision = revision
    article.updated_at = now
    fields = ["title", "summary", "body", "video_url", "current_revision", "updated_at"]
    if save:
        article.save(update_fields=fields)
    return fields


def _fields(text: Text) -> dict[str, str]:
    return {
        "title": text.title,
        "summary": text.summary,
        "body": text.body,
        "video_url": text.video_url,
    }


def _tags(names: Iterable[str]) -> list[Tag]:
    wanted = list(dict.fromkeys(n.strip().lower()[:40] for n in names if n.strip()))
    if len(wanted) > MAX_TAGS:
        raise ValidationError({"tags": f"Use at most {MAX_TAGS} tags."})
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    for name in wanted:
        if name not in existing:
            existing[name], _ = Tag.objects.get_or_create(name=name)
    return [existing[name] for name in wanted]


def _insert_with_unique_slug(article: Article) -> Article:
    """Save a new article under a slug made from its title, unique, kept for ever after.

    Another article may take the chosen slug between the look-up and the insert: the insert
    is then retried (in a savepoint) with the next free one.
    """
    base = slugify(article.title)[:SLUG_LENGTH].strip("-") or "article"
    for _attempt in range(5):
        taken = set(Article.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        article.slug = base
        number = 2
        while article.slug in taken:
            suffix = f"-{number}"
            article.slug = f"{base[: SLUG_LENGTH - len(suffix)]}{suffix}"
            number += 1
        try:
            with transaction.atomic():
                article.save(force_insert=True)
        except IntegrityError:
            article.pk = None
            continue
        return article
    raise ValidationError("Could not find a free address for this article; please try again.")
