"""Suggestions while typing on the submit form, the "search first" step without JavaScript,
"This solved it", and what the search log makes of them.

A suggestion box (one render of the form) writes one row however many requests it sends;
the row records the article opened, the ticket sent anyway within half an hour, or that
an article solved it.
"""

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge.models import Deflection, SearchLog
from tests.factories import ArticleFactory
from tests.portal.test_views import submit_data
from tickets.models import Ticket

HTMX = {"HX-Request": "true"}


@pytest.fixture
def article(service):
    return ArticleFactory.create(
        title="VPN disconnects every few minutes",
        slug="vpn-disconnects",
        summary="Stop the VPN dropping on home Wi-Fi.",
        services=[service],
    )


def suggest(client, subject, *, box="", service=None, **more):
    params = {"subject": subject, "box": box, **more}
    if service is not None:
        params["service"] = service.pk
    return client.get(reverse("portal:knowledge-suggest"), params, headers=HTMX)


def links_in(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]


def test_the_submit_form_asks_for_suggestions_as_the_person_types(client_as, requester):
    page = client_as(requester).get(reverse("portal:ticket-create")).content.decode()
    box = re.search(r'name="box" value="([0-9a-f-]{36})"', page)
    assert box and uuid.UUID(box[1])
    suggestions = page[page.index('id="article-suggestions"') :].split(">", 1)[0]
    assert 'aria-live="polite"' in suggestions
    assert f'hx-get="{reverse("portal:knowledge-suggest")}"' in suggestions
    assert "input changed delay:400ms from:#id_subject" in suggestions
    assert "change from:#id_service" in suggestions
    assert "#id_box" in suggestions
    # The subject's field comes before its suggestions, the details after them.
    assert page.index('id="id_subject"') < page.index('id="article-suggestions"')
    assert page.index('id="article-suggestions"') < page.index('id="id_description"')


def test_suggestions_are_a_fragment_of_the_articles_for_the_subject(
    client_as, requester, service, article
):
    response = suggest(client_as(requester), "vpn disconnects", service=service)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "VPN disconnects every few minutes" in html
    [link] = [href for href in links_in(html) if "/help/articles/" in href]
    assert link.startswith(reverse("portal:knowledge-article", args=[article.slug]))
    assert "from=form" in link and f"service={service.pk}" in link
    assert 'target="_blank"' in html and "(opens in a new tab)" in html


def test_a_few_letters_are_not_yet_a_search(client_as, requester, article):
    response = suggest(client_as(requester), "vp")
    assert "VPN" not in response.content.decode()
    assert not SearchLog.objects.exists()


def test_a_boxs_many_requests_are_one_row_holding_the_settled_query(
    client_as, requester, service, article
):
    client = client_as(requester)
    box, other_box = str(uuid.uuid4()), str(uuid.uuid4())
    for typed in ("vp", "vpn", "vpn dis", "vpn disconnects"):
        suggest(client, typed, box=box, service=service)
    row = SearchLog.objects.get()
    assert (row.query, row.normalised, row.box, row.source) == (
        "vpn disconnects",
        "vpn disconnects",
        box,
        SearchLog.Source.SUGGESTION,
    )
    assert (row.results_count, row.service) == (1, service)
    suggest(client, "printer", box=other_box)
    assert SearchLog.objects.count() == 2


def test_a_suggestion_that_matches_nothing_is_logged_as_a_gap(client_as, requester, article):
    suggest(client_as(requester), "payroll portal blank page", box=str(uuid.uuid4()))
    assert SearchLog.objects.get().results_count == 0


def test_the_opened_suggestion_is_recorded_and_later_typing_starts_a_new_row(
    client_as, requester, service, article
):
    client = client_as(requester)
    box = str(uuid.uuid4())
    [link] = [
        href
        for href in links_in(suggest(client, "vpn disconnects", box=box).content.decode())
        if "/help/articles/" in href
    ]
    page = client.get(link).content.decode()
    row = SearchLog.objects.get()
    assert (row.opened_article, row.opened_at is not None) == (article, True)
    assert "This solved it" in page
    suggest(client, "vpn disconnects at home", box=box)
    assert SearchLog.objects.count() == 2
    assert SearchLog.objects.get(pk=row.pk).query == "vpn disconnects"


def test_someone_elses_search_id_is_not_touched(client_as, requester, other_requester, article):
    suggest(client_as(other_requester), "vpn disconnects", box=str(uuid.uuid4()))
    theirs = SearchLog.objects.get()
    url = reverse("portal:knowledge-article", args=[article.slug])
    client = client_as(requester)
    client.get(url, {"s": theirs.pk, "from": "form"})
    client.post(reverse("portal:knowledge-solved", args=[article.slug]), {"s": theirs.pk})
    theirs.refresh_from_db()
    assert (theirs.opened_article, theirs.solved) == (None, False)
    assert Deflection.objects.get().search is None


def test_this_solved_it_records_a_deflection_marks_the_search_and_logs_no_ticket(
    client_as, requester, service, article
):
    client = client_as(requester)
    suggest(client, "vpn disconnects", box=str(uuid.uuid4()), service=service)
    row = SearchLog.objects.get()
    response = client.post(
        reverse("portal:knowledge-solved", args=[article.slug]),
        {"s": row.pk, "service": service.pk, "q": "vpn disconnects", "from": "form"},
        follow=True,
    )
    page = response.content.decode()
    assert "Glad that helped" in page and "close the request form in the other tab" in page
    deflection = Deflection.objects.get()
    assert (deflection.user, deflection.article, deflection.search, deflection.service) == (
        requester,
        article,
        row,
        service,
    )
    row.refresh_from_db()
    assert row.solved and row.ticket is None
    assert not Ticket.objects.exists()


def test_a_ticket_sent_within_half_an_hour_marks_the_search_followed_by_a_ticket(
    client_as, requester, service, article, time_machine
):
    client = client_as(requester)
    time_machine.move_to(timezone.now(), tick=False)
    suggest(client, "printer jammed", box=str(uuid.uuid4()))
    time_machine.shift(timedelta(minutes=31))
    box = str(uuid.uuid4())
    suggest(client, "vpn disconnects", box=box, service=service)
    time_machine.shift(timedelta(minutes=29))
    client.post(
        reverse("portal:ticket-create"),
        submit_data(service, subject="vpn disconnects", box=box),
    )
    ticket = Ticket.objects.get()
    old, recent = SearchLog.objects.order_by("created_at")
    assert (old.ticket, recent.ticket) == (None, ticket)


def test_a_solved_search_is_not_counted_as_followed_by_a_ticket(
    client_as, requester, service, article
):
    client = client_as(requester)
    suggest(client, "vpn disconnects", box=str(uuid.uuid4()))
    row = SearchLog.objects.get()
    client.post(reverse("portal:knowledge-solved", args=[article.slug]), {"s": row.pk})
    client.post(reverse("portal:ticket-create"), submit_data(service))
    row.refresh_from_db()
    assert (row.solved, row.ticket) == (True, None)


def test_the_form_sent_back_with_an_error_keeps_its_box(client_as, requester, service):
    box = str(uuid.uuid4())
    response = client_as(requester).post(
        reverse("portal:ticket-create"), submit_data(service, subject="", box=box)
    )
    assert f'name="box" value="{box}"' in response.content.decode()


def test_search_first_without_javascript_leads_on_to_the_form_filled_in(
    client_as, requester, service, article
):
    client = client_as(requester)
    page = client.get(reverse("portal:ticket-create"), {"category": "request"}).content.decode()
    first = page[page.index(f'action="{reverse("portal:knowledge-suggest")}"') :]
    assert 'method="get"' in page and 'name="subject"' in first.split("</form>")[0]
    # The step itself: a page with the suggestions and a way on to the form.
    response = client.get(
        reverse("portal:knowledge-suggest"),
        {"subject": "vpn disconnects", "service": service.pk, "category": "request"},
    )
    html = response.content.decode()
    assert "<html" in html and "VPN disconnects every few minutes" in html
    article_link = next(href for href in links_in(html) if "/help/articles/" in href)
    assert "from=first" in article_link and 'target="_blank"' not in html.split("Find answers")[1]
    create = reverse("portal:ticket-create")
    onward = next(href for href in links_in(html) if href.startswith(f"{create}?"))
    form = client.get(onward).content.decode()
    assert 'value="vpn disconnects"' in form
    assert re.search(rf'<option value="{service.pk}" selected>', form)
    assert re.search(r'value="request"[^>]* checked', form)


def test_search_first_opens_without_an_error_and_asks_again_when_left_blank(client_as, requester):
    client = client_as(requester)
    opened = client.get(reverse("portal:knowledge-suggest")).content.decode()
    assert "Tell us in a few words" not in opened
    blank = client.get(reverse("portal:knowledge-suggest"), {"subject": " "}).content.decode()
    assert "Tell us in a few words what you need help with." in blank
    assert not SearchLog.objects.exists()
