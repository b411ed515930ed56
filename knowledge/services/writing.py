"""Writing: new articles, edits (each a revision), restoring an old text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from knowledge import search_cache
from knowledge.markdown import image_places
from knowledge.models import Article, ArticleImage, Revision, Tag, TicketLink
from tickets.models import Service, Ticket

from .access import can_publish, require_editor, require_staff
from .revisions import (
    KEEP,
    REVIEWED_STATUSES,
    ConflictError,
    Text,
    _Keep,
    lock_article,
    mark_approved,
    mark_submitted,
    show_revision,
    working_revision,
)

Status, State = Article.Status, Revision.State
SLUG_LENGTH = 100
MAX_TAGS = 12


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
    search_cache.changed()
    require_staff(by)
    if publish:
        require_editor(by)
    if ticket is not None and not Ticket.objects.visible_to(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied("This ticket is not in your teams.")
    text = text.cleaned()
    _check_images(text)
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
        mark_approved(article, revision, by=by, note="", now=now)
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
    and nothing is saved. Filing (services, tags, review date) applies at once; who reads
    a published article (its audience) is an editor's decision. Saving text identical to
    the revision it was based on makes no new revision.
    """
    search_cache.changed()
    require_staff(by)
    if publish:
        require_editor(by)
    article = lock_article(article)
    working = working_revision(article)
    _check_base(article, working, based_on)
    text = text.cleaned()
    _check_images(text)
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
        mark_submitted(article, revision)
    if publish and revision.state == State.IN_REVIEW:
        mark_approved(article, revision, by=by, note="", now=now)
    return revision


@transaction.atomic
def restore_revision(
    article: Article, revision: Revision, *, based_on: int | None, by: User
) -> Revision:
    """Bring back an old revision's text as a new revision, under the same review rule."""
    search_cache.changed()
    if revision.article_id != article.pk:
        raise ValidationError("That revision belongs to another article.")
    when = timezone.localtime(revision.created_at)
    gone = _missing_images(Text.of(revision))
    if gone:
        raise ValidationError(
            f"Revision {revision.pk} shows {_names(gone)}, a screenshot removed since: restoring "
            "it would show readers a broken picture. Restore another revision, or edit the "
            "text and upload the screenshot again."
        )
    return save_edit(
        article,
        text=Text.of(revision),
        based_on=based_on,
        by=by,
        comment=f"Restored revision {revision.pk} of {when:%d %b %Y %H:%M} by {revision.author}",
        review_by=KEEP,
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


def _check_images(text: Text) -> None:
    """A text may show only screenshots that exist (its own, or one another article shows
    too): a reference to a removed or mistyped one would be a broken picture for readers."""
    missing = _missing_images(text)
    if missing:
        raise ValidationError(
            {
                "body": f"The text shows {_names(missing)}, a screenshot that does not exist "
                "(removed, or mistyped): upload the screenshot here and insert it, or take the "
                "reference out."
            }
        )


def _missing_images(text: Text) -> list[int]:
    used = {place.image_id for place in image_places(text.body)}
    if not used:
        return []
    found = set(ArticleImage.objects.filter(pk__in=used).values_list("pk", flat=True))
    return sorted(used - found)


def _names(image_ids: list[int]) -> str:
    return ", ".join(f"image:{pk}" for pk in image_ids)


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
        show_revision(article, revision, now=now)
    return revision


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
