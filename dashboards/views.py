"""The managers' pages. The overview shows the backlog of the teams a manager sees."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from servicedesk.http import AuthedHtmxRequest
from tickets.models import Priority, Ticket


@login_required
@require_GET
def overview(request: AuthedHtmxRequest) -> HttpResponse:
    if not (request.user.is_manager or request.user.is_admin):
        raise Http404
    visible = Ticket.objects.visible_to(request.user)
    week_ago = timezone.now() - timedelta(days=7)
    by_team = (
        visible.open()
        .values("team__name")
        .annotate(
            total=Count("pk"),
            unassigned=Count("pk", filter=Q(assignee__isnull=True)),
            pending=Count("pk", filter=Q(status=Ticket.Status.PENDING)),
            **{f"p{p}": Count("pk", filter=Q(priority=p)) for p in Priority.values},
        )
        .order_by("team__name")
    )
    # Two indexed range counts, not one pass over every ticket the manager can see.
    flow = {
        "created": visible.filter(created_at__gte=week_ago).count(),
        "resolved": visible.filter(resolved_at__gte=week_ago).count(),
    }
    context = {
        "nav": "dashboards",
        "by_team": by_team,
        "flow": flow,
        "priorities": Priority.values,
    }
    return render(request, "dashboards/overview.html", context)
