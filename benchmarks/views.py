"""The floor: the fastest page Django can serve on this machine with our stack.

One indexed 25-row query on the tickets table and a tiny template, behind the same
middleware as every page and for a logged-in user. Routed only in benchmark runs.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from servicedesk.http import AuthedHtmxRequest
from tickets.models import Ticket


@login_required
@require_GET
def floor(request: AuthedHtmxRequest) -> HttpResponse:
    tickets = Ticket.objects.order_by("-pk").values("pk", "subject", "status")[:25]
    return render(request, "benchmarks/floor.html", {"tickets": tickets})
