"""Review and publishing: a knowledge editor's decisions, and an author's request for one."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from knowledge import search_cache
from knowledge.models import Article, Revision

from .access import require_editor, require_staff
from .revisions import lock_article, mark_approved, mark_submitted

Status, State = Article.Status, Revision.State


@transaction.atomic
def submit_for_review(article: Article, *, by: User) -> Revision:
    """Ask a knowledge editor to review a new article's draft before it is published."""
    search_cache.changed()
    require_staff(by)
    article = lock_article(article)
    if article.status != Status.DRAFT:
        raise ValidationError(
            "Only a draft is sent for review; edits of a published article go to review "
            "as they are saved."
        )
    revision = article.current_revision
    if revision is None:
        raise ValidationError("This article has no text to review yet.")
    mark_submitted(article, revision)
    return revision


@transaction.atomic
def approve_revision(revision: Revision, *, by: User, note: str = "") -> Revision:
    """Accept an edit waiting for review: readers see its text from now on."""
    search_cache.changed()
    require_editor(by)
    article = lock_article(revision.article)
    revision = Revision.objects.select_for_update().get(pk=revision.pk)
    if revision.state != State.IN_REVIEW:
        raise ValidationError(
            f"This revision is no longer waiting for review (it is {revision.get_state_display().lower()})."
        )
    mark_approved(article, revision, by=by, note=note.strip(), now=timezone.now())
    return revision


@transaction.atomic
def reject_revision(revision: Revision, *, by: User, note: str) -> Revision:
    """Send an edit back with a note saying why; readers keep the published text."""
    search_cache.changed()
    require_editor(by)
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what needs to change, so the author can fix it."})
    article = lock_article(revision.article)
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
    search_cache.changed()
    require_editor(by)
    article = lock_article(article)
    if article.status == Status.PUBLISHED:
        raise ValidationError("This article is already published.")
    now = timezone.now()
    revision = article.current_revision
    if revision is not None and revision.state != State.APPROVED:
        # Text never published before: publishing it is approving it.
        mark_approved(article, revision, by=by, note="", now=now)
    if article.status == Status.PUBLISHED:
        return article
    article.status = Status.PUBLISHED
    article.published_at, article.retired_at, article.updated_at = now, None, now
    article.save(update_fields=["status", "published_at", "retired_at", "updated_at"])
    return article


@transaction.atomic
def retire_article(article: Article, *, by: User) -> Article:
    """Take an article away from readers (out of date, replaced); it stays in the editor."""
    search_cache.changed()
    require_editor(by)
    article = lock_article(article)
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
