"""The knowledge reports page: what search found, what it missed, and what it saved.

For agents, who write the articles, and for managers. End users get a 404, as for any
page that is not theirs.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from knowledge import reports
from servicedesk.http import AuthedHtmxRequest

WINDOWS = {7: "Last 7 days", 30: "Last 30 days", 90: "Last 90 days"}
DEFAULT_DAYS = 30


@login_required
@require_GET
def knowledge_reports(request: AuthedHtmxRequest) -> HttpResponse:
    user = request.user
    if not user.is_staff_member:
        raise Http404
    try:
        days = int(request.GET.get("days", DEFAULT_DAYS))
    except ValueError:
        days = DEFAULT_DAYS
    days = days if days in WINDOWS else DEFAULT_DAYS
    window = reports.Window.last(days)
    context = {
        "nav": "dashboards",
        "tab": "knowledge",
        "windows": WINDOWS,
        "days": days,
        "summary": reports.summary(user, window),
        "found_nothing": reports.found_nothing(user, window),
        "content_gaps": reports.content_gaps(user, window),
        "deflections": reports.deflections(user, window, period="day" if days <= 7 else "week"),
        "helpfulness": reports.helpfulness(user, window),
        "most_viewed": reports.most_viewed(user, limit=10),
        "opened": reports.opened_from_search(user, window, limit=10),
        "tickets_linked": reports.tickets_linked(user, window, limit=10),
        "needs_review": reports.needs_review(user),
        "thresholds": (reports.NEEDS_REVIEW_NO_VOTES, reports.NEEDS_REVIEW_NO_PERCENT),
    }
    return render(request, "dashboards/knowledge_reports.html", context)
