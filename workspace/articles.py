"""The ticket page's articles panel: suggestions from the ticket, to send or to link.

The panel loads after the ticket page (htmx, on load), so its searches never add to the
ticket page's own queries; without JavaScript it is a page of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from knowledge import feedback, replies, searchlog
from knowledge.models import Article, SearchLog, TicketLink
from knowledge.search import Hit
from knowledge.search import search as find_articles
from servicedesk.http import AuthedHtmxRequest
from servicedesk.rendering import render
from tickets.models import Ticket

from .views import get_ticket, staff_required

SUGGESTIONS = 5
# What the panel shows of a linked article.
LINKED_FIELDS = ("slug", "title", "status", "audience")


class PanelSearchForm(forms.Form):
    q = forms.CharField(label="Find an article", max_length=200, required=False)


class LinkForm(forms.Form):
    article = forms.IntegerField(min_value=1)
    q = forms.CharField(max_length=200, required=False)


@dataclass(frozen=True)
class Suggestion:
    """An article the agent may send: its link and its text, ready for the reply editor."""

    hit: Hit
    url: str
    link_text: str
    reply_text: str

    @classmethod
    def of(cls, hit: Hit) -> Suggestion:
        article = hit.article
        return cls(
            hit=hit,
            url=replies.article_url(article),
            link_text=replies.link_text(article),
            reply_text=replies.reply_text(article),
        )


def suggestions_for(request: AuthedHtmxRequest, ticket: Ticket, query: str) -> list[Hit]:
    """The agent's own search, logged; otherwise articles for the ticket's subject and service."""
    user = request.user
    if query:
        hits = find_articles(user, query, limit=SUGGESTIONS)
        searchlog.record_search(
            user,
            query,
            results_count=len(hits),
            source=SearchLog.Source.WORKSPACE,
            service=ticket.service,
        )
        return hits
    hits = find_articles(user, ticket.subject, service=ticket.service, limit=SUGGESTIONS)
    return hits or find_articles(user, ticket.subject, limit=SUGGESTIONS)


def _panel_context(
    request: AuthedHtmxRequest, ticket: Ticket, query: str = "", **extra: Any
) -> dict[str, Any]:
    links = list(
        TicketLink.objects.visible_to(request.user)
        .filter(ticket=ticket)
        .select_related("article")
        .only("relation", "article", *(f"article__{name}" for name in LINKED_FIELDS))
    )
    linked = {link.article_id for link in links}
    hits = suggestions_for(request, ticket, query)
    suggestions = [Suggestion.of(hit) for hit in hits if hit.article.pk not in linked]
    return {
        "nav": "queues",
        "ticket": ticket,
        "links": links,
        "suggestions": suggestions,
        # Matches left out because they are linked already: the empty list says "no other".
        "matched_linked": len(hits) - len(suggestions),
        "query": query,
        "can_insert": not ticket.is_final,
        **extra,
    }


def _render_panel(request: AuthedHtmxRequest, context: dict[str, Any]) -> HttpResponse:
    fragments = ["ticket-articles"] if request.htmx else []
    return render(request, "workspace/ticket_articles.html", context, fragments=fragments)


@staff_required
@require_GET
def ticket_articles(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    form = PanelSearchForm(request.GET)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    return _render_panel(request, _panel_context(request, ticket, query))


def _after_link(
    request: AuthedHtmxRequest, ticket: Ticket, query: str, notice: str, error: str = ""
) -> HttpResponse:
    if request.htmx:
        context = _panel_context(request, ticket, query, notice=notice, error=error)
        return _render_panel(request, context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("workspace:ticket-articles", pk=ticket.pk)


@staff_required
@require_POST
def ticket_article_link(request: AuthedHtmxRequest, pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    form = LinkForm(request.POST)
    if not form.is_valid():
        return _after_link(request, ticket, "", "", error="Choose an article to link.")
    readable = Article.objects.for_readers(request.user)
    article = get_object_or_404(readable, pk=form.cleaned_data["article"])
    query = form.cleaned_data["q"].strip()
    try:
        feedback.link_article(ticket, article, request.user)
    except PermissionDenied as refused:
        return _after_link(request, ticket, query, "", error=str(refused))
    return _after_link(request, ticket, query, f"Linked “{article.title}” to this ticket.")


@staff_required
@require_POST
def ticket_article_unlink(request: AuthedHtmxRequest, pk: int, article_pk: int) -> HttpResponse:
    ticket = get_ticket(request, pk)
    article = get_object_or_404(Article.objects.visible_to(request.user), pk=article_pk)
    query = request.POST.get("q", "").strip()[:200]
    try:
        removed = feedback.unlink_article(ticket, article, request.user)
    except PermissionDenied as refused:
        return _after_link(request, ticket, query, "", error=str(refused))
    notice = f"Unlinked “{article.title}”." if removed else "That article was not linked."
    return _after_link(request, ticket, query, notice)
