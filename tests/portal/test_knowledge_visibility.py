"""Who reads which article, through every road to one: the knowledge home, search, a
service's list, the article's own URL and its actions, suggestions while typing, related
articles, counts, and the agent's panel.

End users read published articles for everyone; staff also published agents-only ones;
nobody reads drafts, articles in review or retired ones outside the editor.
"""

import pytest
from django.urls import reverse

from knowledge.models import Article, SearchLog
from tests.factories import ArticleFactory

Status, Audience = Article.Status, Article.Audience
EVERY_KIND = [(status, audience) for status in Status.values for audience in Audience.values]
READERS = {
    "requester": {(Status.PUBLISHED, Audience.EVERYONE)},
    "agent": {(Status.PUBLISHED, Audience.EVERYONE), (Status.PUBLISHED, Audience.AGENTS)},
    "manager": {(Status.PUBLISHED, Audience.EVERYONE), (Status.PUBLISHED, Audience.AGENTS)},
    "admin_user": {(Status.PUBLISHED, Audience.EVERYONE), (Status.PUBLISHED, Audience.AGENTS)},
}


def title(status: str, audience: str) -> str:
    return f"Toner for the {status.replace('_', ' ')} {audience} printer"


@pytest.fixture
def shelf(service):
    """One article of every status and audience, all about toner, all for one service."""
    return {
        (status, audience): ArticleFactory.create(
            title=title(status, audience),
            slug=f"toner-{status}-{audience}",
            summary="Toner steps",
            services=[service],
            status=status,
            audience=audience,
        )
        for status, audience in EVERY_KIND
    }


def shown(page: str) -> set[tuple[str, str]]:
    return {kind for kind in EVERY_KIND if title(*kind) in page}


@pytest.fixture(params=READERS.keys())
def reader(request, shelf, ticket):
    """Each persona, with the kinds of article they may read."""
    return request.getfixturevalue(request.param), READERS[request.param]


def test_the_knowledge_home_lists_only_what_the_reader_may_read(client_as, reader):
    person, readable = reader
    page = client_as(person).get(reverse("portal:knowledge-home")).content.decode()
    assert shown(page) == readable


def test_search_finds_only_what_the_reader_may_read_and_counts_only_that(client_as, reader):
    person, readable = reader
    response = client_as(person).get(reverse("portal:knowledge-search"), {"q": "toner"})
    assert shown(response.content.decode()) == readable
    count = len(readable)
    assert f"{count} article{'' if count == 1 else 's'} for “toner”" in response.content.decode()
    assert SearchLog.objects.get().results_count == count


def test_a_services_list_shows_only_what_the_reader_may_read(client_as, reader, service):
    person, readable = reader
    page = client_as(person).get(reverse("portal:knowledge-search"), {"service": service.pk})
    assert shown(page.content.decode()) == readable


def test_suggestions_while_typing_offer_only_what_the_reader_may_read(client_as, reader, service):
    person, readable = reader
    response = client_as(person).get(
        reverse("portal:knowledge-suggest"),
        {"subject": "toner", "service": service.pk},
        headers={"HX-Request": "true"},
    )
    assert shown(response.content.decode()) == readable
    assert SearchLog.objects.get().results_count == len(readable)
    # The "search first" page without JavaScript, too.
    page = client_as(person).get(reverse("portal:knowledge-suggest"), {"subject": "toner"})
    assert shown(page.content.decode()) == readable


def test_an_article_url_answers_404_to_whoever_may_not_read_it(client_as, reader, shelf):
    person, readable = reader
    client = client_as(person)
    for kind, article in shelf.items():
        status = 200 if kind in readable else 404
        for page in ("portal:knowledge-article", "portal:knowledge-glad"):
            assert client.get(reverse(page, args=[article.slug])).status_code == status, kind
        for action in ("portal:knowledge-vote", "portal:knowledge-solved"):
            answered = client.post(reverse(action, args=[article.slug]), {"helpful": "yes"})
            assert answered.status_code == (302 if kind in readable else 404), kind
        article.refresh_from_db()
        assert (article.view_count, article.helpful_count) == (
            (1, 1) if kind in readable else (0, 0)
        )


def test_related_articles_are_only_what_the_reader_may_read(client_as, reader, shelf):
    person, readable = reader
    own = shelf[(Status.PUBLISHED, Audience.EVERYONE)]
    page = client_as(person).get(reverse("portal:knowledge-article", args=[own.slug]))
    related = page.content.decode().split("Related articles", 1)
    assert shown(related[1] if len(related) > 1 else "") == readable - {
        (Status.PUBLISHED, Audience.EVERYONE)
    }


def test_the_count_on_the_home_counts_only_readable_articles(client_as, requester, shelf, service):
    for n in range(5):
        ArticleFactory.create(title=f"Toner extra {n}", services=[service])
    page = client_as(requester).get(reverse("portal:knowledge-home")).content.decode()
    assert "All 6 articles about Email &amp; Calendar" in page


def test_the_agents_panel_offers_published_articles_agents_only_ones_included(
    client_as, agent, shelf, ticket
):
    panel = client_as(agent).get(
        reverse("workspace:ticket-articles", args=[ticket.pk]),
        {"q": "toner"},
        headers={"HX-Request": "true"},
    )
    assert shown(panel.content.decode()) == READERS["agent"]


def test_end_users_have_no_agents_panel(client_as, requester, ticket):
    response = client_as(requester).get(reverse("workspace:ticket-articles", args=[ticket.pk]))
    assert response.status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(client, shelf):
    article = shelf[(Status.PUBLISHED, Audience.EVERYONE)]
    for url in (
        reverse("portal:knowledge-home"),
        reverse("portal:knowledge-search") + "?q=toner",
        reverse("portal:knowledge-suggest") + "?subject=toner",
        reverse("portal:knowledge-article", args=[article.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
