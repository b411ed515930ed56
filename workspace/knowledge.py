"""The knowledge editor in the workspace: articles, their history, review and screenshots.

Any staff member writes and edits; the rules of who publishes and what waits for review
live in `knowledge/services.py`, which every view here calls. End users get the 404 the
whole workspace gives them; an agent who tries an editor's action gets a 403.
"""

from __future__ import annotations

from types import EllipsisType
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from knowledge import services
from knowledge.forms import (
    REVIEW_AFTER,
    ArticleForm,
    ImageForm,
    initial_for,
    initial_from_ticket,
)
from knowledge.markdown import render_markdown
from knowledge.models import Article, ArticleImage, Revision
from servicedesk.http import AuthedHtmxRequest
from servicedesk.pagination import BoundedPage
from servicedesk.rendering import render
from tickets.forms import add_service_error
from tickets.models import Service, Ticket

from .knowledge_filters import ArticleFilter
from .views import staff_required

EDITOR = "workspace/knowledge/article_edit.html"
# What a list row shows of an article, and no more (the body can be long).
ROW_FIELDS = (
    "slug",
    "title",
    "summary",
    "status",
    "audience",
    "review_by",
    "updated_at",
    "view_count",
    "helpful_count",
    "unhelpful_count",
    "owner__full_name",
    "owner__email",
)


def get_article(request: AuthedHtmxRequest, pk: int) -> Article:
    articles = Article.objects.visible_to(request.user).select_related(
        "owner", "current_revision__author"
    )
    return get_object_or_404(articles, pk=pk)


def _pending_edits() -> Exists:
    return Exists(Revision.objects.filter(article=OuterRef("pk"), state=Revision.State.IN_REVIEW))


@staff_required
@require_GET
def article_list(request: AuthedHtmxRequest) -> HttpResponse:
    visible = Article.objects.visible_to(request.user)
    filterset = ArticleFilter(request.GET, queryset=visible, user=request.user)
    rows = (
        filterset.qs.select_related("owner")
        .only(*ROW_FIELDS)
        .annotate(has_pending=_pending_edits())
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("name")))
    )
    page = BoundedPage.of(rows, number=request.GET.get("page"), per_page=50)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav": "knowledge",
        "tab": "articles",
        "filter": filterset,
        "page_obj": page,
        "query_string": params.urlencode(),
        "today": timezone.localdate(),
        "needs_review_no_votes": services.MANY_NO_VOTES,
    }
    if request.htmx and request.htmx.target == "article-list":
        return render(
            request, "workspace/knowledge/article_list.html", context, fragments=["article-list"]
        )
    context["in_review"] = review_count()
    return render(request, "workspace/knowledge/article_list.html", context)


def review_count() -> int:
    return Revision.objects.filter(state=Revision.State.IN_REVIEW).count()


def _ticket_for(request: AuthedHtmxRequest) -> Ticket | None:
    """The ticket an article is written from (`?ticket=`), if the agent may see it."""
    raw = request.POST.get("ticket") or request.GET.get("ticket")
    if not raw:
        return None
    if not str(raw).isdigit():
        raise Http404
    tickets = Ticket.objects.visible_to(request.user).select_related("service")
    return get_object_or_404(tickets, pk=int(raw))


@staff_required
@require_http_methods(["GET", "POST"])
def article_new(request: AuthedHtmxRequest) -> HttpResponse:
    ticket = _ticket_for(request)
    if request.method == "GET":
        initial = (
            initial_from_ticket(ticket, user=request.user)
            if ticket
            else {"review_by": timezone.localdate() + REVIEW_AFTER, "based_on": 0}
        )
        return _editor(
            request, None, ArticleForm(initial=initial, user=request.user), ticket=ticket
        )
    form = ArticleForm(request.POST, user=request.user)
    action = request.POST.get("action", "save")
    if action != "preview" and form.is_valid():
        data = form.cleaned_data
        try:
            article = services.create_article(
                text=form.text,
                audience=data["audience"],
                services=data["services"],
                tags=data["tags"],
                review_by=data["review_by"],
                comment=data["comment"],
                submit=action == "submit",
                publish=action == "publish",
                ticket=ticket,
                by=request.user,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, saved_message(article, article.current_revision))
            return redirect("workspace:article-edit", pk=article.pk)
    return _editor(request, None, form, ticket=ticket, preview=form.preview_text())


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    article = get_article(request, pk)
    if request.method == "GET":
        pending = services.pending_revision(article)
        working = pending or article.current_revision
        text = services.Text.of(working or article)
        initial = initial_for(article, text, working.pk if working else 0)
        form = ArticleForm(initial=initial, user=request.user)
        return _editor(request, article, form, pending=pending)
    form = ArticleForm(request.POST, user=request.user)
    action = request.POST.get("action", "save")
    if action == "preview" or not form.is_valid():
        return _editor(request, article, form, preview=form.preview_text())
    data = form.cleaned_data
    try:
        revision = services.save_edit(
            article,
            text=form.text,
            based_on=data["based_on"],
            comment=data["comment"],
            audience=data["audience"],
            services=data["services"],
            tags=data["tags"],
            review_by=data["review_by"],
            submit=action == "submit",
            publish=action == "publish",
            by=request.user,
        )
    except services.ConflictError as conflict:
        return _conflict(request, article, conflict, based_on=data["based_on"])
    except ValidationError as error:
        add_service_error(form, error)
        return _editor(request, article, form, preview=form.preview_text())
    article.refresh_from_db()
    messages.success(request, saved_message(article, revision))
    return redirect("workspace:article-edit", pk=article.pk)


def _conflict(
    request: AuthedHtmxRequest, article: Article, conflict: ValidationError, *, based_on: int
) -> HttpResponse:
    """The person's text back in the form, now based on the newer revision, with the news.

    Saving again is then a decision made knowing what changed (the diff is linked).
    """
    working = services.working_revision(article)
    data = request.POST.copy()
    data["based_on"] = str(working.pk if working else 0)
    form = ArticleForm(data, user=request.user)
    form.is_valid()
    form.add_error(None, conflict)
    return _editor(
        request,
        article,
        form,
        preview=form.preview_text(),
        conflict={"theirs": working, "yours_from": based_on},
    )


def saved_message(article: Article, revision: Revision | None) -> str:
    state = revision.state if revision else ""
    if state == Revision.State.IN_REVIEW and article.status in services.REVIEWED_STATUSES:
        return (
            "Saved for review. Readers keep seeing the published text until a knowledge "
            "editor approves your edit."
        )
    if state == Revision.State.IN_REVIEW:
        return "Sent for review: a knowledge editor will publish it or send it back with a note."
    if article.status == Article.Status.PUBLISHED:
        return "Saved and published: readers see this text now."
    if article.status == Article.Status.RETIRED:
        return "Saved. The article is retired: readers don't see it."
    return "Draft saved. Only staff see it until it is published."


def _editor(
    request: AuthedHtmxRequest,
    article: Article | None,
    form: ArticleForm,
    *,
    ticket: Ticket | None = None,
    preview: services.Text | None = None,
    conflict: dict[str, Any] | None = None,
    pending: Revision | None | EllipsisType = ...,
) -> HttpResponse:
    if preview is None:
        preview = services.Text(
            form.initial.get("title", ""),
            form.initial.get("summary", ""),
            form.initial.get("body", ""),
            form.initial.get("video_url", ""),
        )
    context: dict[str, Any] = {
        "nav": "knowledge",
        "tab": "new" if article is None else "",
        "article": article,
        "form": form,
        "ticket": ticket,
        "preview": preview,
        "preview_html": render_markdown(preview.body),
        "editor": services.can_publish(request.user),
        "conflict": conflict,
    }
    if article is not None:
        context["pending"] = services.pending_revision(article) if pending is ... else pending
        newest = (
            Revision.objects.filter(article=article)
            .select_related("reviewed_by")
            .only("state", "review_note", "reviewed_by__full_name", "reviewed_by__email")
            .order_by("-pk")
            .first()
        )
        context["returned"] = newest if newest and newest.state == Revision.State.REJECTED else None
        context.update(_images_context(request, article, pending=context["pending"]))
    return render(request, EDITOR, context)


def _images(article: Article) -> QuerySet[ArticleImage]:
    return ArticleImage.objects.filter(article=article).only(
        "article_id", "file", "width", "height", "caption", "content_type"
    )


def _images_context(
    request: AuthedHtmxRequest,
    article: Article,
    *,
    pending: Revision | None | EllipsisType = ...,
    **extra: Any,
) -> dict[str, Any]:
    """The screenshots' list: each with where the texts show it, and who may remove them."""
    if pending is ...:
        pending = services.pending_revision(article)
    return {
        "article": article,
        "images": _images(article),
        "image_form": ImageForm(),
        "image_uses": services.image_uses(article, pending=pending),
        "can_remove_images": services.can_remove_images(request.user, article),
        **extra,
    }


@staff_required
@require_POST
def article_preview(request: AuthedHtmxRequest) -> HttpResponse:
    """The live preview: the editor's text through the same renderer readers get."""
    form = ArticleForm(request.POST, user=request.user)
    preview = form.preview_text()
    context = {"preview": preview, "preview_html": render_markdown(preview.body)}
    return render(request, EDITOR, context, fragments=["article-preview"])


@staff_required
@require_POST
def article_images(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    article = get_article(request, pk)
    form = ImageForm(request.POST, request.FILES)
    uploaded = None
    if form.is_valid():
        try:
            uploaded = services.upload_image(
                article,
                file=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error("image", error)
    if not request.htmx:
        if uploaded:
            messages.success(
                request,
                f"Screenshot added: place it with ![{uploaded.caption or 'Screenshot'}](image:{uploaded.pk}).",
            )
        else:
            messages.error(
                request, " ".join(str(e) for errors in form.errors.values() for e in errors)
            )
        return redirect("workspace:article-edit", pk=article.pk)
    context = _images_context(
        request, article, image_form=ImageForm() if uploaded else form, uploaded=uploaded
    )
    return render(request, EDITOR, context, fragments=["article-images"])


@staff_required
@require_POST
def article_image_remove(request: AuthedHtmxRequest, pk: int, image: int) -> HttpResponse:
    """Remove a screenshot, after the confirm step of its disclosure in the editor."""
    article = get_article(request, pk)
    # Only this article's own screenshots: another article's image in the address is a 404.
    images = ArticleImage.objects.visible_to(request.user).filter(article=article)
    picture = get_object_or_404(images, pk=image)
    problem = ""
    try:
        services.remove_image(picture, by=request.user)
    except ValidationError as error:
        problem = " ".join(error.messages)
    name = f"\u201c{picture.caption}\u201d" if picture.caption else f"image:{picture.pk}"
    if not request.htmx:
        if problem:
            messages.error(request, problem)
        else:
            messages.success(request, f"Screenshot {name} removed.")
        return redirect("workspace:article-edit", pk=article.pk)
    context = _images_context(request, article, removed="" if problem else name, problem=problem)
    return render(request, EDITOR, context, fragments=["article-images"])
