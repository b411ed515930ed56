"""The portal's help articles: browse by service, search, read, vote, and "This solved it".

Every article comes from `Article.objects.for_readers(user)`: an end user never reaches an
agents-only, draft, in-review or retired article, by link, search, suggestion or count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from knowledge import feedback, searchlog
from knowledge.fulltext import MAX_CANDIDATES
from knowledge.markdown import render_markdown
from knowledge.models import Article, ArticleImage, Feedback, SearchLog
from knowledge.search import Hit, normalise, search_results
from knowledge.search import search as find_articles
from servicedesk import versions
from servicedesk.http import AuthedHtmxRequest
from servicedesk.pagination import BoundedPage
from servicedesk.rendering import render
from tickets.forms import add_service_error
from tickets.models import Service

from .forms import FeedbackForm, KnowledgeSearchForm, SuggestForm
from .views import my_ticket_list

# How many articles each service shows on the knowledge home, and suggestions while typing.
PER_SERVICE = 5
SUGGESTIONS = 5
# Search results come ten to a page, as far as the ranking scores (fulltext.MAX_CANDIDATES).
RESULTS_PER_PAGE = 10
LAST_RESULTS_PAGE = MAX_CANDIDATES // RESULTS_PER_PAGE
# Fewer letters than this are not yet a question worth searching for (or logging).
SUGGEST_FROM_LENGTH = 3
# Screenshots are shown inline only as the raster images their upload was checked to be.
RASTER_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
# What lists of articles show of each: never the body.
CARD_FIELDS = ("slug", "title", "summary", "helpful_count", "view_count", "updated_at")
ServiceLink = Article.services.through
TagLink = Article.tags.through


@dataclass(frozen=True)
class ResultsPage:
    """Where a page of search results is among them all: "11–20 of 34"."""

    number: int
    total: int  # as counted by the ranking: at most MAX_CANDIDATES ("300 or more")
    shown: int

    @property
    def first(self) -> int:
        return (self.number - 1) * RESULTS_PER_PAGE + 1

    @property
    def last(self) -> int:
        return self.first + self.shown - 1

    @property
    def at_least(self) -> bool:
        return self.total >= MAX_CANDIDATES

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.last < self.total and self.number < LAST_RESULTS_PAGE


@dataclass(frozen=True)
class Trail:
    """How the reader reached an article, carried in its links: the search that found it
    (its log row and words), the service they chose, and whether they were about to ask
    the service desk (opened from the submit form), so "Still need help?" and "This solved
    it" can pick up where they left off.
    """

    search_id: int | None = None
    query: str = ""
    service_id: int | None = None
    category: str = ""
    # Opened from the submit form: "form" (the suggestions, in a new tab, the form kept in
    # the first) or "first" (the "search first" step, without JavaScript).
    asking: str = ""
    # The article the person came from and said (or showed) did not help: the submit form
    # does not suggest it to them again.
    not_article: int | None = None

    @classmethod
    def of(cls, params: QueryDict) -> Trail:
        return cls(
            search_id=_whole_number(params.get("s")),
            query=" ".join(params.get("q", "").split())[:200],
            service_id=_whole_number(params.get("service")),
            category=params.get("category", "") if params.get("category") in CATEGORIES else "",
            asking=params.get("from", "") if params.get("from") in ASKING else "",
            not_article=_whole_number(params.get("not")),
        )

    def params(self) -> dict[str, str | int]:
        pairs = {
            "s": self.search_id,
            "q": self.query,
            "service": self.service_id,
            "category": self.category,
            "from": self.asking,
            "not": self.not_article,
        }
        return {key: value for key, value in pairs.items() if value}

    def article_url(self, article: Article) -> str:
        query = self._query
        path = _article_path(article.slug)
        return f"{path}?{query}" if query else path

    @cached_property
    def _query(self) -> str:
        """The trail as a query string, written once however many articles it links."""
        return urlencode(self.params())

    def ticket_url(self, article: Article | None = None) -> str:
        """The submit form with what the person searched for (or typed) filled in.

        From an article: its service when it is filed under exactly one, and the article
        itself left out of the form's suggestions (it did not help).
        """
        service_id = self.service_id
        not_article = self.not_article
        if article is not None:
            if service_id is None:
                services = [service.pk for service in article.services.all()]
                service_id = services[0] if len(services) == 1 else None
            not_article = article.pk
        pairs = {
            "subject": self.query,
            "service": service_id,
            "category": self.category,
            "not": not_article,
        }
        query = urlencode({key: value for key, value in pairs.items() if value})
        path = reverse("portal:ticket-create")
        return f"{path}?{query}" if query else path


CATEGORIES = ("incident", "request")
ASKING = ("form", "first")
SLUG_STAND_IN = "servicedesk-slug"


@functools.cache
def _article_parts() -> tuple[str, str]:
    """The article page's path around its slug, reversed once: a results page links ten."""
    before, _, after = reverse("portal:knowledge-article", args=[SLUG_STAND_IN]).partition(
        SLUG_STAND_IN
    )
    return before, after


def _article_path(slug: str) -> str:
    before, after = _article_parts()
    return f"{before}{slug}{after}"


def _whole_number(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def readable(user: User) -> QuerySet[Article]:
    return Article.objects.for_readers(user)


def catalogue(user: User) -> QuerySet[Service]:
    return Service.objects.visible_to(user).active().only("name")


def most_useful_by_service(
    user: User, services: list[Service], *, per_service: int = PER_SERVICE
) -> dict[int, tuple[list[Article], int]]:
    """Each service's most useful articles and how many it has, in one query.

    A window over the article-service links numbers each service's articles by their
    counters, so the page never runs a query per service.
    """
    usefulness = [F("article__helpful_count").desc(), F("article__view_count").desc()]
    links = (
        ServiceLink.objects.filter(
            service__in=[service.pk for service in services], article__in=readable(user)
        )
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("service_id")],
                order_by=[*usefulness, F("article__title").asc()],
            ),
            total=Window(Count("pk"), partition_by=[F("service_id")]),
        )
        # django-stubs does not type the annotations of an M2M's automatic through model.
        .filter(place__lte=per_service)  # type: ignore[misc]
        .select_related("article")
        .only("service_id", *(f"article__{name}" for name in CARD_FIELDS))
        .order_by("service_id", "place")
    )
    found: dict[int, tuple[list[Article], int]] = {}
    for link in links:
        articles, _ = found.setdefault(link.service_id, ([], link.total))  # type: ignore[attr-defined]
        articles.append(link.article)
    return found


def by_usefulness(articles: QuerySet[Article]) -> QuerySet[Article]:
    return articles.only(*CARD_FIELDS).order_by("-helpful_count", "-view_count", "title")


@login_required
@require_GET
def home(request: AuthedHtmxRequest) -> HttpResponse:
    services = list(catalogue(request.user))
    found = most_useful_by_service(request.user, services)
    sections = [(service, *found[service.pk]) for service in services if service.pk in found]
    general = by_usefulness(readable(request.user).filter(services__isnull=True))
    context = {
        "nav": "knowledge",
        "sections": sections,
        "general": general[:PER_SERVICE],
        "trail": Trail(),
    }
    return render(request, "portal/knowledge/home.html", context)


@login_required
@require_GET
def search(request: AuthedHtmxRequest) -> HttpResponse:
    """Help articles for the person's words (and their own tickets that match), or, with a
    service and no words, that service's articles."""
    form = KnowledgeSearchForm(request.GET, services=catalogue(request.user))
    form.is_valid()  # a service no longer offered drops the service, not the words
    query = form.cleaned_data.get("q", "").strip()
    service = form.cleaned_data.get("service")
    hits: list[Hit] = []
    log: SearchLog | None = None
    listing = None
    results_page = None
    searched = False  # the query held words worth searching for
    if query:
        number = min(_whole_number(request.GET.get("page")) or 1, LAST_RESULTS_PAGE)
        found = search_results(
            request.user,
            query,
            bodies=False,
            service=service,
            limit=RESULTS_PER_PAGE,
            offset=(number - 1) * RESULTS_PER_PAGE,
        )
        hits, searched = found.hits, found.searched
        results_page = ResultsPage(number=number, total=found.total, shown=len(hits))
        if number == 1:  # the next pages are the same search, read further
            log = searchlog.record_search(
                request.user, query, results_count=found.total, service=service
            )
    elif service is not None:
        articles = by_usefulness(readable(request.user).filter(services=service))
        listing = BoundedPage.of(articles, number=request.GET.get("page"), per_page=20)
    trail = Trail(
        # A later page of results is the first page's search, carried in its links.
        search_id=log.pk if log else (Trail.of(request.GET).search_id if results_page else None),
        query=query,
        service_id=service.pk if service else None,
    )
    context = {
        "nav": "knowledge",
        "search_form": form,
        "query_error": " ".join(str(message) for message in form.errors.get("q", [])),
        "meaningful": searched,
        "query": query,
        "service": service,
        "hits": hits,
        "results_page": results_page,
        "catalogue_version": versions.read(versions.CATALOGUE),
        "listing": listing,
        "query_string": urlencode({"service": service.pk}) if service else "",
        "trail": trail,
        # The person's own tickets that match, on the first page of results only.
        "tickets": my_ticket_list(request.user).search(query)[:10]
        if searched and results_page and results_page.number == 1
        else [],
    }
    return render(request, "portal/knowledge/search.html", context)


@login_required
@require_GET
def suggest(request: AuthedHtmxRequest) -> HttpResponse:
    """Articles for what the person is typing on the submit form.

    For htmx, the suggestions under the summary; without JavaScript, the "search first"
    page, which then leads on to the form with the summary filled in.
    """
    # The "search first" page opens with an empty form, not with an error.
    category = request.GET.get("category", "")
    category = category if category in CATEGORIES else ""
    form = SuggestForm(
        request.GET if "subject" in request.GET else None,
        services=catalogue(request.user),
        initial={"category": category},
    )
    data = form.cleaned_data if form.is_valid() else {}
    subject, service = data.get("subject", "").strip(), data.get("service")
    not_article = _whole_number(request.GET.get("not"))
    hits, log = _suggestions(
        request, subject, service, box=data.get("box", ""), not_article=not_article
    )
    trail = Trail(
        search_id=log.pk if log else None,
        query=subject,
        service_id=service.pk if service else None,
        category=category,
        asking="form" if request.htmx else "first",
        not_article=not_article,
    )
    context = {
        "nav": "new-ticket",
        "form": form,
        "subject": subject,
        "hits": hits,
        "trail": trail,
        "in_form": bool(request.htmx),
    }
    fragments = ["article-suggestions"] if request.htmx else []
    return render(request, "portal/knowledge/suggest.html", context, fragments=fragments)


def _suggestions(
    request: AuthedHtmxRequest,
    subject: str,
    service: Service | None,
    *,
    box: str,
    not_article: int | None = None,
) -> tuple[list[Hit], SearchLog | None]:
    """The articles for a summary being typed, and the box's row of the search log.

    `not_article` (the article the person came from, which did not help) is left out.
    """
    if len(normalise(subject)) < SUGGEST_FROM_LENGTH:
        return [], None

    def find(**scope: Any) -> list[Hit]:
        # One more than shown, so leaving one out still shows a full list.
        hits = find_articles(request.user, subject, limit=SUGGESTIONS + 1, bodies=False, **scope)
        return [hit for hit in hits if hit.article.pk != not_article][:SUGGESTIONS]

    hits = find(service=service)
    if not hits and service is not None:  # the wrong service chosen, perhaps
        hits = find()
    log = searchlog.record_search(
        request.user,
        subject,
        results_count=len(hits),
        source=SearchLog.Source.SUGGESTION,
        service=service,
        box=box,
    )
    return hits, log


def _article_context(
    request: AuthedHtmxRequest, article: Article, trail: Trail, **forms: Any
) -> dict[str, Any]:
    service_ids = ServiceLink.objects.filter(article=article).values("service_id")
    tag_ids = TagLink.objects.filter(article=article).values("tag_id")
    related = readable(request.user).filter(
        Q(pk__in=ServiceLink.objects.filter(service__in=service_ids).values("article_id"))
        | Q(pk__in=TagLink.objects.filter(tag__in=tag_ids).values("article_id"))
    )
    own_vote = Feedback.objects.visible_to(request.user).filter(article=article, user=request.user)
    return {
        "nav": "knowledge",
        "article": article,
        "body": render_markdown(article.body),
        "images": article.images.filter(content_type__in=RASTER_TYPES),
        "video_url": article.video_url
        if article.video_url.startswith(("https://", "http://"))
        else "",
        "related": by_usefulness(related.exclude(pk=article.pk))[:4],
        "vote": own_vote.first(),
        "feedback_form": forms.get("feedback_form") or FeedbackForm(),
        "trail": trail,
        "still_need_help": trail.ticket_url(article),
        # "What was missing?" is asked right after a No (or when the reader asks to add it):
        # once answered, even empty, or left unanswered, the page thanks them instead.
        "ask_what_was_missing": bool(forms.get("ask_what_was_missing"))
        or request.GET.get("feedback") == "missing",
    }


def get_article(request: AuthedHtmxRequest, slug: str) -> Article:
    articles = (
        readable(request.user)
        # The revision for the date its text last changed ("Updated"), not its text again.
        .select_related("current_revision")
        .defer("current_revision__body", "current_revision__summary")
        .prefetch_related(Prefetch("services", queryset=Service.objects.only("name")), "tags")
    )
    return get_object_or_404(articles, slug=slug)


@login_required
@require_GET
def article_detail(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    article = get_article(request, slug)
    trail = Trail.of(request.GET)
    feedback.record_view(article, request.user)
    if trail.search_id is not None:
        searchlog.record_open(trail.search_id, request.user, article)
    context = _article_context(request, article, trail)
    return render(request, "portal/knowledge/article.html", context)


@login_required
@require_POST
def article_vote(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    article = get_article(request, slug)
    trail = Trail.of(request.POST)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            feedback.vote(article, request.user, data["helpful"], data["comment"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            # A No just given, with nothing written yet: ask what was missing, once.
            ask = not data["helpful"] and not data["comment"] and "step" not in request.POST
            if not request.htmx:
                url = trail.article_url(article)
                if ask:
                    url += ("&" if "?" in url else "?") + "feedback=missing"
                return redirect(url + "#feedback")
            context = _article_context(request, article, trail, ask_what_was_missing=ask)
            return render(
                request, "portal/knowledge/article.html", context, fragments=["article-feedback"]
            )
    # What they wrote was refused: the form again, with the message and their text.
    context = _article_context(
        request, article, trail, feedback_form=form, ask_what_was_missing="comment" in form.errors
    )
    fragments = ["article-feedback"] if request.htmx else []
    return render(request, "portal/knowledge/article.html", context, fragments=fragments)


@login_required
@require_POST
def article_solved(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    """ "This solved it": a deflection, the search marked solved, and no ticket."""
    article = get_article(request, slug)
    trail = Trail.of(request.POST)
    service = None
    if trail.service_id is not None:
        service = catalogue(request.user).filter(pk=trail.service_id).first()
    searches = [trail.search_id] if trail.search_id is not None else []
    feedback.record_deflection(request.user, article, searches, service)
    glad = reverse("portal:knowledge-glad", args=[article.slug])
    return redirect(f"{glad}?from={trail.asking}" if trail.asking else glad)


@login_required
@require_GET
def article_glad(request: AuthedHtmxRequest, slug: str) -> HttpResponse:
    context = {
        "nav": "knowledge",
        "article": get_article(request, slug),
        "trail": Trail.of(request.GET),
    }
    return render(request, "portal/knowledge/glad.html", context)


@login_required
@require_GET
def article_image(request: AuthedHtmxRequest, slug: str, pk: int) -> FileResponse:
    """A screenshot of an article the person may read, inline as the image it was checked to be."""
    article = get_article(request, slug)
    images = ArticleImage.objects.filter(article=article, content_type__in=RASTER_TYPES)
    image = get_object_or_404(images, pk=pk)
    try:
        handle = image.file.open("rb")
    except FileNotFoundError:
        raise Http404("The image is no longer stored.") from None
    response = FileResponse(handle, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
