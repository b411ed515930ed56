"""The knowledge reports the dashboards read: what they count, in which window, for whom."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from knowledge import reports, searchlog
from knowledge.models import Deflection, Feedback, SearchLog, TicketLink
from tests.factories import ArticleFactory, ServiceFactory, TicketFactory, UserFactory

NOW = timezone.now()
# The week up to now, and the hour ahead, where rows created during the test fall.
WEEK = reports.Window(start=NOW - timedelta(days=7), end=NOW + timedelta(hours=1))


def search(user, query, *, results=1, ago=timedelta(hours=1), **kwargs) -> SearchLog:
    row = searchlog.record_search(user, query, results_count=results, now=NOW - ago, **kwargs)
    assert row is not None
    return row


@pytest.fixture
def history(requester, other_requester, agent, service):
    """A week of searches by two people, one ticket that followed, and one older search."""
    printer = ArticleFactory.create(title="Printer offline", view_count=50, helpful_count=3)
    vpn = ArticleFactory.create(title="Connect to the VPN", view_count=10)
    search(requester, "Toner  cartridge", results=0)
    search(other_requester, "toner cartridge", results=0)
    search(requester, "payroll", results=0, ago=timedelta(days=10))  # before the window
    opened = search(requester, "printer offline", results=2, service=service)
    searchlog.record_open(opened.pk, requester, printer, now=NOW - timedelta(minutes=59))
    gap = search(other_requester, "vpn from hotel", results=1, ago=timedelta(minutes=20))
    ticket = TicketFactory.create(requester=other_requester, service=service)
    searchlog.record_ticket(other_requester, ticket, now=NOW - timedelta(minutes=10))
    TicketLink.objects.create(ticket=ticket, article=vpn, linked_by=agent)
    return {"printer": printer, "vpn": vpn, "opened": opened, "gap": gap, "ticket": ticket}


def test_searches_that_found_nothing_group_by_normalised_query(agent, history):
    rows = reports.found_nothing(agent, WEEK)
    assert [(r["normalised"], r["searches"]) for r in rows] == [("toner cartridge", 2)]
    assert reports.summary(agent, WEEK) == {
        "searches": 4,
        "found_nothing": 2,
        "opened": 1,
        "ticket_followed": 1,
    }


def test_content_gaps_are_searches_a_ticket_followed_anyway(agent, history):
    rows = reports.content_gaps(agent, WEEK)
    assert [(r["normalised"], r["searches"], r["tickets"], r["found_nothing"]) for r in rows] == [
        ("vpn from hotel", 1, 1, 0)
    ]


def test_article_views_opens_and_links(agent, history):
    assert [r["title"] for r in reports.most_viewed(agent)][:2] == [
        "Printer offline",
        "Connect to the VPN",
    ]
    assert [
        (r["opened_article__title"], r["opens"]) for r in reports.opened_from_search(agent, WEEK)
    ] == [("Printer offline", 1)]
    assert [
        (r["article__title"], r["tickets"], r["answered"])
        for r in reports.tickets_linked(agent, WEEK)
    ] == [("Connect to the VPN", 1, 1)]


def test_helpfulness_counts_yes_and_no_with_the_share(agent, history, requester, other_requester):
    printer, vpn = history["printer"], history["vpn"]
    third = UserFactory.create()
    for person, article, helpful in [
        (requester, printer, True),
        (other_requester, printer, True),
        (third, printer, False),
        (requester, vpn, False),
    ]:
        Feedback.objects.create(article=article, user=person, helpful=helpful)
    Feedback.objects.create(
        article=vpn, user=agent, helpful=True, created_at=NOW - timedelta(days=30)
    )
    result = reports.helpfulness(agent, WEEK)
    assert (result["yes"], result["no"], result["share"]) == (2, 2, 50.0)
    assert [(r["article__title"], r["yes"], r["no"], r["share"]) for r in result["articles"]] == [
        ("Printer offline", 2, 1, 66.7),
        ("Connect to the VPN", 0, 1, 0.0),
    ]


def test_deflections_count_solved_and_searches_no_ticket_followed(
    agent, history, requester, service
):
    printer = history["printer"]
    # Said "this solved it" after a search: one deflection, not two.
    solved = search(requester, "printer jam", results=1, service=service, ago=timedelta(hours=2))
    searchlog.record_open(solved.pk, requester, printer)
    searchlog.record_solved([solved.pk], requester)
    Deflection.objects.create(
        user=requester,
        article=printer,
        search=solved,
        service=service,
        created_at=NOW - timedelta(hours=2),
    )
    # Opened ten minutes ago: the half hour has not passed, it is not a deflection yet.
    recent = search(
        requester, "printer again", results=1, service=service, ago=timedelta(minutes=10)
    )
    searchlog.record_open(recent.pk, requester, printer)
    rows = reports.deflections(agent, WEEK, period="week")
    assert [(r["service_name"], r["solved"], r["no_ticket"], r["total"]) for r in rows] == [
        (service.name, 1, 1, 2)
    ]
    other = ServiceFactory.create()
    assert reports.deflections(agent, WEEK, service=other) == []
    assert sum(r["total"] for r in reports.deflections(agent, WEEK, service=service)) == 2


def test_needs_review_is_past_its_date_or_many_no_votes(agent):
    today = date(2026, 12, 1)
    overdue = ArticleFactory.create(title="Overdue", review_by=today - timedelta(days=1))
    ArticleFactory.create(title="Reviewed", review_by=today + timedelta(days=30))
    disliked = ArticleFactory.create(
        title="Disliked", helpful_count=5, unhelpful_count=reports.NEEDS_REVIEW_NO_VOTES
    )
    ArticleFactory.create(
        title="Mostly liked", helpful_count=50, unhelpful_count=reports.NEEDS_REVIEW_NO_VOTES
    )
    ArticleFactory.create(title="Few votes", unhelpful_count=reports.NEEDS_REVIEW_NO_VOTES - 1)
    ArticleFactory.create(title="Retired", status="retired", review_by=today - timedelta(days=9))
    rows = reports.needs_review(agent, today=today)
    assert [(r["pk"], r["overdue"], r["many_no"]) for r in rows] == [
        (overdue.pk, True, False),
        (disliked.pk, False, True),
    ]


def test_reports_are_for_staff_only(requester, history):
    assert reports.summary(requester, WEEK)["searches"] == 0
    for report in (
        reports.found_nothing,
        reports.content_gaps,
        reports.opened_from_search,
        reports.deflections,
        reports.tickets_linked,
    ):
        assert report(requester, WEEK) == []
    assert reports.most_viewed(requester) == [] and reports.needs_review(requester) == []
    assert reports.helpfulness(requester, WEEK)["articles"] == []


def test_each_report_costs_the_same_queries_whatever_the_volume(agent, history, requester, service):
    def run_all():
        reports.summary(agent, WEEK)
        reports.found_nothing(agent, WEEK)
        reports.content_gaps(agent, WEEK)
        reports.opened_from_search(agent, WEEK)
        reports.most_viewed(agent)
        reports.helpfulness(agent, WEEK)
        reports.deflections(agent, WEEK, service=service)
        reports.tickets_linked(agent, WEEK)
        reports.needs_review(agent)

    run_all()  # the agent's teams are read once per request, not once per report
    with CaptureQueriesContext(connection) as few:
        run_all()
    for n in range(30):
        row = search(requester, f"query {n}", results=n % 2, ago=timedelta(hours=n + 1))
        searchlog.record_open(row.pk, requester, history["printer"])
    SearchLog.objects.update(service=service)
    with CaptureQueriesContext(connection) as many:
        run_all()
    assert len(many) == len(few) == 15
