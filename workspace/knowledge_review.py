"""The knowledge editor's history, review queue and publishing buttons.

History compares any two revisions side by side and restores one; the review queue lists
the edits waiting for a knowledge editor. Every decision is a service call
(`knowledge/services`), which checks who may make it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from knowledge import diff, services
from knowledge.forms import ReviewForm
from knowledge.models import Article, Revision
from servicedesk.http import AuthedHtmxRequest
from servicedesk.pagination import BoundedPage
from servicedesk.rendering import render

from .knowledge import get_article, review_count, saved_message
from .views import staff_required

REVISION_FIELDS = (
    "article_id",
    "title",
    "summary",
    "body",
    "video_url",
    "comment",
    "state",
    "based_on_id",
    "created_at",
    "review_note",
    "reviewed_at",
    "author__full_name",
    "author__email",
    "reviewed_by__full_name",
    "reviewed_by__email",
)


def _article_action(
    request: AuthedHtmxRequest, pk: int, action: Callable[..., object], done: str
) -> HttpResponse:
    article = get_article(request, pk)
    try:
        action(article, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("workspace:article-edit", pk=article.pk)


@staff_required
@require_POST
def article_submit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    return _article_action(
        request,
        pk,
        services.submit_for_review,
        "Sent for review: a knowledge editor will look at it.",
    )


@staff_required
@require_POST
def article_publish(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    return _article_action(request, pk, services.publish_article, "Published: readers see it now.")


@staff_required
@require_POST
def article_retire(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    return _article_action(
        request, pk, services.retire_article, "Retired: readers no longer see it; it stays here."
    )


@staff_required
@require_GET
def article_history(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    article = get_article(request, pk)
    revisions = list(
        Revision.objects.filter(article=article)
        .select_related("author", "reviewed_by")
        .only(*REVISION_FIELDS)
        .order_by("-pk")[:200]
    )
    by_id = {revision.pk: revision for revision in revisions}
    new = by_id.get(_int(request.GET.get("b"))) or (revisions[0] if revisions else None)
    old = by_id.get(_int(request.GET.get("a")))
    if old is None and new is not None:
        old = by_id.get(new.based_on_id or 0) or next((r for r in revisions if r.pk < new.pk), None)
    context = {
        "nav": "knowledge",
        "article": article,
        "revisions": revisions,
        "old": old,
        "new": new,
        "diff": diff.compare(old, new) if old and new else None,
        "working": services.working_revision(article),
        "editor": services.can_publish(request.user),
    }
    return render(request, "workspace/knowledge/article_history.html", context)


def _int(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 19 else 0


@staff_required
@require_POST
def article_restore(request: AuthedHtmxRequest, pk: int, revision: int) -> HttpResponse:
    article = get_article(request, pk)
    old = get_object_or_404(Revision.objects.filter(article=article), pk=revision)
    try:
        restored = services.restore_revision(
            article, old, based_on=_int(request.POST.get("based_on")), by=request.user
        )
    except services.ConflictError:
        messages.error(
            request,
            "Someone saved a newer revision while you were looking at the history: "
            "check it below, then restore again if you still want to.",
        )
        return redirect("workspace:article-history", pk=article.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("workspace:article-history", pk=article.pk)
    article.refresh_from_db()
    messages.success(request, f"Revision {old.pk} restored. " + saved_message(article, restored))
    return redirect("workspace:article-edit", pk=article.pk)


@staff_required
@require_GET
def review_queue(request: AuthedHtmxRequest) -> HttpResponse:
    waiting = (
        Revision.objects.filter(
            state=Revision.State.IN_REVIEW, article__in=Article.objects.visible_to(request.user)
        )
        .select_related("author", "article", "article__current_revision")
        .only(
            "article_id",
            "title",
            "comment",
            "created_at",
            "based_on_id",
            "author__full_name",
            "author__email",
            "article__title",
            "article__status",
            "article__audience",
            "article__current_revision_id",
        )
        .order_by("created_at", "pk")
    )
    page = BoundedPage.of(waiting, number=request.GET.get("page"), per_page=50)
    context = {
        "nav": "knowledge",
        "tab": "review",
        "page_obj": page,
        "editor": services.can_publish(request.user),
        "in_review": review_count(),
        "review_form": ReviewForm(),
    }
    return render(request, "workspace/knowledge/review_queue.html", context)


def _review(request: AuthedHtmxRequest, pk: int, approve: bool) -> HttpResponse:
    visible = Revision.objects.filter(article__in=Article.objects.visible_to(request.user))
    revision = get_object_or_404(visible.select_related("article"), pk=pk)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if approve:
            services.approve_revision(revision, note=note, by=request.user)
        else:
            services.reject_revision(revision, note=note, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _decided(revision, approve))
    if request.POST.get("back") == "article":
        return redirect("workspace:article-edit", pk=revision.article_id)
    return redirect("workspace:article-review")


def _decided(revision: Revision, approved: bool) -> str:
    if not approved:
        return f"“{revision.title}” sent back to {revision.author} with your note."
    status = Article.objects.only("status").get(pk=revision.article_id).status
    if status == Article.Status.RETIRED:
        return f"“{revision.title}” approved. The article is retired: readers don't see it."
    return f"“{revision.title}” approved: readers see it now."


@staff_required
@require_POST
def revision_approve(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    return _review(request, pk, approve=True)


@staff_required
@require_POST
def revision_reject(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    return _review(request, pk, approve=False)
