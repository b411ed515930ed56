"""Screenshots of an article: kept when they are real pictures, removed when nothing shows them.

Removing a screenshot deletes its row and, once the transaction has committed, its stored
file: a rollback keeps both, so no listed screenshot ever lacks its picture. It is removed
by those whose changes of the article take effect at once: any staff member while readers
don't have the article, knowledge editors always. An ordinary agent's edit of a published
article waits for review, and a removal cannot wait: readers would lose the picture at once.

A screenshot that a text of the article still shows (the readers' text or the edit waiting
for review), or that another article shows, is not removed: readers would get a broken
picture. The person is told where it is shown, takes it out of the text (an edit like any
other, reviewed if it must be) and then removes it. The text is never changed for them:
an edit made behind their back would publish on its own, or wait for review while the
picture was already gone, and the words around the picture ("as shown below") would stay.
Old revisions in the history are not searched: a picture once shown could otherwise never
be removed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from knowledge import images as image_rules
from knowledge.markdown import ImagePlace, image_places
from knowledge.models import Article, ArticleImage, Revision

from .access import can_publish, require_staff
from .revisions import REVIEWED_STATUSES, lock_article, pending_revision

Status, State = Article.Status, Revision.State


@dataclass(frozen=True)
class ImageUse:
    """Where an article's own texts show one of its screenshots."""

    where: str  # "step 3 of the published text"
    several: bool = False
    linked: bool = False  # only links to the picture, no picture shown

    @property
    def message(self) -> str:
        verb = {
            (False, False): "shows",
            (False, True): "links to",
            (True, False): "show",
            (True, True): "link to",
        }[self.several, self.linked]
        return (
            f"{self.where[0].upper()}{self.where[1:]} still {verb} this screenshot: take it "
            "out of the text and save, then remove the screenshot."
        )


def can_remove_images(user: User, article: Article) -> bool:
    """Staff while readers don't have the article; knowledge editors always."""
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        return False
    return can_publish(user) or article.status not in REVIEWED_STATUSES


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


@transaction.atomic
def remove_image(image: ArticleImage, *, by: User) -> None:
    """Remove a screenshot that no text shows: its row now, its file after the commit.

    PermissionDenied for those who may not change what the article's readers see;
    ValidationError, saying where, while a text still shows it.
    """
    require_staff(by)
    if not Article.objects.visible_to(by).filter(pk=image.article_id).exists():
        raise PermissionDenied
    # Locked like every edit of the article: an edit that puts the picture into the text
    # either commits before this check reads the text or waits until the removal is done.
    article = lock_article(Article(pk=image.article_id))
    if not can_remove_images(by, article):
        raise PermissionDenied(
            "Readers have this article: only a knowledge editor (a manager, an admin or an "
            "agent with the editor flag) can remove its screenshots. Ask one to remove it."
        )
    problems = []
    use = image_uses(article, pending=pending_revision(article)).get(image.pk)
    if use is not None:
        problems.append(use.message)
    problems += _shown_elsewhere(article, image)
    if problems:
        raise ValidationError(" ".join(problems), code="in_use")
    name, storage = image.file.name, image.file.storage
    deleted, _ = ArticleImage.objects.filter(pk=image.pk, article=article).delete()
    if not deleted:
        raise ValidationError("This screenshot was already removed.", code="gone")
    _delete_file_on_commit(storage, name)


def image_uses(article: Article, *, pending: Revision | None) -> dict[int, ImageUse]:
    """Which screenshots the article's own texts show, and where: the readers' text (the
    latest draft, for an article never published) and the edit waiting for review."""
    texts = [(_label(article), article.body)]
    if pending is not None and pending.pk != article.current_revision_id:
        texts.append(("the edit waiting for review", pending.body))
    found: dict[int, list[tuple[str, ImagePlace]]] = {}
    for label, body in texts:
        for place in image_places(body):
            found.setdefault(place.image_id, []).append((label, place))
    return {image_id: _use(places) for image_id, places in found.items()}


def _label(article: Article) -> str:
    return "the published text" if article.status == Status.PUBLISHED else "the text"


def _use(places: list[tuple[str, ImagePlace]]) -> ImageUse:
    """ "step 1 and step 3 of the published text and step 2 of the edit waiting for review"."""
    by_text: dict[str, list[str]] = {}
    for label, place in places:
        spots = by_text.setdefault(label, [])
        if str(place) not in spots:
            spots.append(str(place))
    parts, count = [], 0
    for label, spots in by_text.items():
        # A picture in a step and one elsewhere in the same text: the step says where.
        named = [spot for spot in spots if spot != "the text"]
        if not named:
            parts.append(label)
        else:
            parts.append(_and(named) + ("" if label == "the text" else f" of {label}"))
        count += max(len(named), 1)
    return ImageUse(
        where=_and(parts),
        several=count > 1,
        linked=all(place.linked for _, place in places),
    )


def _shown_elsewhere(article: Article, image: ArticleImage) -> list[str]:
    """Other articles whose text (their own, or an edit waiting for review) shows the image.

    An image's address works from any article's text, so a snippet copied into another
    article shows it there too. The database narrows the texts down; the renderer decides.
    """
    # "image:12", "IMAGE:012", not "image:123": what IMAGE_REFERENCE reads as image 12.
    pattern = rf"image:0*{image.pk}([^0-9]|$)"
    texts = [
        (title, body)
        for title, body in Article.objects.exclude(pk=article.pk)
        .filter(body__iregex=pattern)
        .values_list("title", "body")
    ]
    texts += [
        (title, body)
        for title, body in Revision.objects.exclude(article=article)
        .filter(state=State.IN_REVIEW, body__iregex=pattern)
        .values_list("article__title", "body")
    ]
    titles = list(
        dict.fromkeys(
            title
            for title, body in texts
            if any(place.image_id == image.pk for place in image_places(body))
        )
    )
    if not titles:
        return []
    which = _and([f"\u201c{title}\u201d" for title in titles[:3]])
    more = f" and {len(titles) - 3} more" if len(titles) > 3 else ""
    noun = "articles" if len(titles) > 1 else "article"
    return [
        f"The {noun} {which}{more} also {'show' if len(titles) > 1 else 'shows'} this "
        "screenshot: take it out there first."
    ]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _delete_file_on_commit(storage: Storage, name: str) -> None:
    """The file goes once the row's removal is committed; a rollback keeps both.

    Robust: a storage that fails now leaves an orphaned file, not a failed request for a
    removal that has already happened (the error is logged).
    """

    def delete_stored_file() -> None:
        storage.delete(name)

    transaction.on_commit(delete_stored_file, robust=True)
