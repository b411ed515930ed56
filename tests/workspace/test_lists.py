"""The queue and the knowledge list share their filters' base and their list's macro: each
behaviour here holds on both, in the list's own words."""

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse

from tests.factories import ArticleFactory, TicketFactory
from tickets.models import Priority
from workspace import filters, knowledge_filters


@dataclass
class Listing:
    url_name: str
    query: dict[str, str]  # what every request of the list sends
    target: str
    noun: str
    per_page: int
    sorts: list[str]
    empty: str  # what the list says when it holds nothing at all
    refused: dict[str, str]  # a filter value outside what the agent may choose

    @property
    def url(self) -> str:
        return reverse(self.url_name)

    def make(self, n: int, *, agent, service) -> None:
        if self.noun == "tickets":
            TicketFactory.create_batch(n, service=service)
        else:
            ArticleFactory.create_batch(n, owner=agent)


QUEUE = Listing(
    url_name="workspace:queue",
    query={"queue": "all"},
    target="ticket-list",
    noun="tickets",
    per_page=25,
    sorts=list(filters.SORTS),
    empty="Nothing waiting in this queue.",
    refused={"team": "999999"},
)
ARTICLES = Listing(
    url_name="workspace:article-list",
    query={},
    target="article-list",
    noun="articles",
    per_page=50,
    sorts=list(knowledge_filters.SORTS),
    empty='No articles yet. <a href="/workspace/knowledge/new/">Write the first one</a>.',
    refused={"service": "999999"},
)
LISTS = [pytest.param(QUEUE, id="queue"), pytest.param(ARTICLES, id="articles")]


def get(client, listing: Listing, **query: str) -> str:
    return client.get(listing.url, {**listing.query, **query}).content.decode()


def titles(page: str) -> list[str]:
    return re.findall(r'class="sd-subject-link" title="([^"]+)"', page)


@pytest.mark.parametrize("listing", LISTS)
def test_a_sort_or_an_empty_search_filters_nothing_out(client_as, agent, listing):
    client = client_as(agent)
    for query in ({"sort": listing.sorts[1]}, {"q": ""}):
        page = get(client, listing, **query)
        assert listing.empty in page and "match these filters" not in page


@pytest.mark.parametrize("listing", LISTS)
def test_a_refused_filter_lists_nothing_and_says_why(client_as, agent, service, listing):
    listing.make(1, agent=agent, service=service)
    page = get(client_as(agent), listing, **listing.refused)
    assert f"Some filters were not understood, so no {listing.noun} are listed." in page
    assert f"No {listing.noun} match these filters." in page and not titles(page)


@pytest.mark.parametrize("listing", LISTS)
def test_pages_go_forward_and_back_keeping_the_sort(client_as, agent, service, listing):
    listing.make(listing.per_page + 1, agent=agent, service=service)
    client = client_as(agent)
    sort, noun, last = listing.sorts[1], listing.noun.capitalize(), listing.per_page + 1
    first = get(client, listing, sort=sort)
    assert f"{noun} 1–{listing.per_page}<" in first and ">Previous<" not in first
    assert f'hx-get="{listing.url}?' in first and f"sort={sort}&amp;page=2" in first
    second = get(client, listing, sort=sort, page="2")
    assert f"{noun} {last}–{last}<" in second and len(titles(second)) == 1
    assert ">Previous<" in second and ">Next<" not in second


@pytest.mark.parametrize("listing", LISTS)
def test_a_page_past_the_end_leads_back_from_the_fragment_too(client_as, agent, listing):
    response = client_as(agent).get(
        listing.url,
        {**listing.query, "page": "999"},
        headers={"HX-Request": "true", "HX-Target": listing.target},
    )
    fragment = response.content.decode()
    assert "<html" not in fragment and f'id="{listing.target}"' in fragment
    back = listing.url + "?" + "&".join(f"{k}={v}" for k, v in listing.query.items())
    assert f'No {listing.noun} on this page. <a href="{back}">Back to the first page' in fragment


def test_each_list_starts_in_the_order_its_sort_menu_shows_first(client_as, agent, service):
    client = client_as(agent)
    TicketFactory.create(service=service, subject="Routine", priority=Priority.P4)
    TicketFactory.create(service=service, subject="Urgent", priority=Priority.P1)
    page = get(client, QUEUE)
    assert QUEUE.sorts[0] == "priority" and titles(page) == ["Urgent", "Routine"]
    assert re.search(r'name="sort"[^>]*>\s*<option value="priority"', page)
    ArticleFactory.create(title="Alpha", owner=agent)
    ArticleFactory.create(title="Beta", owner=agent)  # edited last
    page = get(client, ARTICLES)
    assert ARTICLES.sorts[0] == "updated" and titles(page) == ["Beta", "Alpha"]
    assert re.search(r'name="sort"[^>]*>\s*<option value="updated"', page)
