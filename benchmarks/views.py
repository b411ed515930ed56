"""The floor: the fastest page Django can serve on this machine with our stack.

One indexed 25-row query on the tickets table and a tiny template, behind the same
middleware as every page and for a logged-in user. Routed only in benchmark runs.

Until the portal has its knowledge pages, two stand-ins time knowledge search as the portal
uses it: a results page in the site's frame, and the suggestions fragment a submit form
fetches while the person types. Each calls the search and logs it as the portal will.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge import searchlog
from knowledge.models import SearchLog
from knowledge.search import search, search_results
from servicedesk.http import AuthedHtmxRequest
from tickets.models import Ticket


@login_required
@require_GET
def floor(request: AuthedHtmxRequest) -> HttpResponse:
    tickets = Ticket.objects.order_by("-pk").values("pk", "subject", "status")[:25]
    return render(request, "benchmarks/floor.html", {"tickets": tickets})


@login_required
@require_GET
def knowledge_search(request: AuthedHtmxRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    results = search_results(request.user, query, limit=10)
    logged = searchlog.record_search(request.user, query, results_count=results.total)
    context = {"query": query, "results": results, "search_id": logged.pk if logged else None}
    return render(request, "benchmarks/knowledge_search.html", context)


@login_required
@require_GET
def knowledge_suggest(request: AuthedHtmxRequest) -> HttpResponse:
    query = request.GET.get("q", "")
    hits = search(request.user, query, limit=5)
    searchlog.record_search(
        request.user, query, results_count=len(hits), source=SearchLog.Source.SUGGESTION
    )
    return render(request, "benchmarks/knowledge_suggest.html", {"hits": hits})
