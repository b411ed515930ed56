"""The articles panel of the ticket page: suggestions from the ticket, insert into the
reply, link to the ticket and unlink; loaded after the page, for the ticket's agents only."""

import html as htmllib
import re

import pytest
from django.urls import reverse

from knowledge.models import Article, SearchLog, TicketLink
from tests.factories import ArticleFactory, TicketFactory, workspace_url
from tickets.models import Ticket, TicketEvent

HTMX = {"HX-Request": "true"}


@pytest.fixture
def article(service):
    return ArticleFactory.create(
        title="Outlook keeps asking for my password",
        slug="outlook-password",
        body="1. Close **Outlook**.\n2. Open [Credential Manager](/portal/help/).\n\n![The tray](/x.png)",
        services=[service],
    )


def panel(client, ticket, **params):
    return client.get(
        reverse("workspace:ticket-articles", args=[ticket.pk]), params, headers=HTMX
    ).content.decode()


def test_the_ticket_page_loads_the_panel_after_itself(client_as, agent, ticket, article):
    page = client_as(agent).get(workspace_url(ticket)).content.decode()
    loader = page[page.index('id="ticket-articles"') :].split(">", 1)[0]
    assert f'hx-get="{reverse("workspace:ticket-articles", args=[ticket.pk])}"' in loader
    assert 'hx-trigger="load"' in loader
    assert "Outlook keeps asking for my password</a>" not in page  # not searched for yet
    # Without JavaScript, the panel is a page of its own.
    assert f'href="{reverse("workspace:ticket-articles", args=[ticket.pk])}"' in page


def test_the_panel_suggests_articles_for_the_tickets_subject_and_service(
    client_as, agent, ticket, article
):
    html = panel(client_as(agent), ticket)
    assert "<html" not in html and 'id="ticket-articles"' in html
    assert "Outlook keeps asking for my password" in html
    assert not SearchLog.objects.exists()  # the ticket's own subject is no one's search


def test_the_panel_offers_the_link_and_the_text_for_the_reply(client_as, agent, ticket, article):
    html = panel(client_as(agent), ticket)
    inserts = [htmllib.unescape(value) for value in re.findall(r'data-sd-insert="([^"]*)"', html)]
    url = f"http://servicedesk.test{reverse('portal:knowledge-article', args=[article.slug])}"
    assert inserts[0] == f"Outlook keeps asking for my password: {url}"
    assert inserts[1] == (
        "Outlook keeps asking for my password\n\n"
        "1. Close Outlook.\n2. Open Credential Manager (http://servicedesk.test/portal/help/).\n\n"
        f"(The tray)\n\nThe full article: {url}"
    )
    # Without JavaScript, the link to copy.
    assert f'readonly value="{url}"' in html


def test_agents_only_articles_are_offered_to_link_but_not_to_send(client_as, agent, ticket):
    ArticleFactory.create(
        title="Outlook password: reset the mailbox (agents)",
        slug="outlook-internal",
        audience=Article.Audience.AGENTS,
    )
    html = panel(client_as(agent), ticket, q="outlook password")
    assert "Agents only" in html and "Link to ticket" in html
    assert "data-sd-insert" not in html and "readonly value" not in html


def test_the_agents_own_search_in_the_panel_is_logged(client_as, agent, ticket, article):
    html = panel(client_as(agent), ticket, q="credential")
    assert "Found for “credential”" in html and "Outlook keeps asking" in html
    log = SearchLog.objects.get()
    assert (log.source, log.results_count, log.user) == (SearchLog.Source.WORKSPACE, 1, agent)


def test_a_closed_ticket_takes_no_replies_so_nothing_is_inserted(client_as, agent, ticket, article):
    ticket.status = Ticket.Status.CLOSED
    ticket.save(update_fields=["status"])
    html = panel(client_as(agent), ticket)
    assert "Outlook keeps asking" in html and "data-sd-insert" not in html


def test_an_agent_links_and_unlinks_an_article(client_as, agent, ticket, article):
    client = client_as(agent)
    link = reverse("workspace:ticket-article-link", args=[ticket.pk])
    html = client.post(link, {"article": article.pk}, headers=HTMX).content.decode()
    assert "Linked “Outlook keeps asking for my password” to this ticket." in html
    assert "Linked to this ticket" in html
    assert TicketLink.objects.get().linked_by == agent
    client.post(link, {"article": article.pk}, headers=HTMX)  # twice: still one link
    assert TicketLink.objects.count() == 1
    unlink = reverse("workspace:ticket-article-unlink", args=[ticket.pk, article.pk])
    html = client.post(unlink, headers=HTMX).content.decode()
    assert "Unlinked" in html and not TicketLink.objects.exists()
    kinds = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.UPDATED).count()
    assert kinds == 2


def test_without_javascript_linking_returns_to_the_panel_page(client_as, agent, ticket, article):
    client = client_as(agent)
    response = client.post(
        reverse("workspace:ticket-article-link", args=[ticket.pk]),
        {"article": article.pk},
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("workspace:ticket-articles", args=[ticket.pk]), 302)
    ]
    page = response.content.decode()
    assert "<html" in page and "Linked “Outlook keeps asking" in page


def test_an_agent_of_another_team_cannot_link_to_a_ticket_they_cannot_see(
    client_as, other_agent, ticket, article
):
    client = client_as(other_agent)
    assert client.get(reverse("workspace:ticket-articles", args=[ticket.pk])).status_code == 404
    link = client.post(
        reverse("workspace:ticket-article-link", args=[ticket.pk]), {"article": article.pk}
    )
    assert link.status_code == 404
    assert not TicketLink.objects.exists()


def test_an_agent_of_another_team_cannot_unlink_either(
    client_as, agent, other_agent, ticket, article
):
    client_as(agent).post(
        reverse("workspace:ticket-article-link", args=[ticket.pk]), {"article": article.pk}
    )
    response = client_as(other_agent).post(
        reverse("workspace:ticket-article-unlink", args=[ticket.pk, article.pk])
    )
    assert response.status_code == 404
    assert TicketLink.objects.count() == 1


def test_end_users_cannot_link_articles(client_as, requester, ticket, article):
    response = client_as(requester).post(
        reverse("workspace:ticket-article-link", args=[ticket.pk]), {"article": article.pk}
    )
    assert response.status_code == 404
    assert not TicketLink.objects.exists()


@pytest.mark.parametrize(
    ("status", "expected"),
    [(Article.Status.DRAFT, 404), (Article.Status.RETIRED, 404), (Article.Status.PUBLISHED, 302)],
)
def test_only_published_articles_are_linked_from_the_panel(
    client_as, agent, ticket, status, expected
):
    article = ArticleFactory.create(status=status)
    response = client_as(agent).post(
        reverse("workspace:ticket-article-link", args=[ticket.pk]), {"article": article.pk}
    )
    assert response.status_code == expected
    assert TicketLink.objects.exists() is (expected == 302)


def test_a_link_without_an_article_says_what_to_do(client_as, agent, ticket):
    html = (
        client_as(agent)
        .post(
            reverse("workspace:ticket-article-link", args=[ticket.pk]),
            {"article": "x"},
            headers=HTMX,
        )
        .content.decode()
    )
    assert "Choose an article to link." in html


def test_linked_articles_are_listed_with_their_tickets_only(client_as, agent, ticket, article):
    other = TicketFactory.create(service=ticket.service)
    client = client_as(agent)
    client.post(reverse("workspace:ticket-article-link", args=[other.pk]), {"article": article.pk})
    html = panel(client, ticket)
    assert "Linked to this ticket" not in html


def test_once_the_only_match_is_linked_the_suggestions_say_no_other_article_matches(
    client_as, agent, ticket, article
):
    client = client_as(agent)
    link = reverse("workspace:ticket-article-link", args=[ticket.pk])
    html = client.post(link, {"article": article.pk}, headers=HTMX).content.decode()
    assert "No articles match" not in html
    assert (
        "No other articles match this ticket's subject (the one that does is linked already)."
        in html
    )
    html = panel(client, ticket, q="credential")
    assert "No other articles match “credential” (the one that does is linked already)." in html


def test_with_nothing_matching_the_panel_says_no_articles_match(client_as, agent, ticket):
    html = panel(client_as(agent), ticket)
    assert "No articles match this ticket's subject. Try other words above." in html
    assert "linked already" not in html


def test_a_repeated_panel_offers_the_same_text_without_a_query_per_article(
    client_as, agent, ticket, article, service, django_assert_max_num_queries
):
    for n in range(4):
        ArticleFactory.create(
            title=f"Outlook keeps asking for a password, case {n}",
            body=f"Step {n}.",
            services=[service],
        )
    client = client_as(agent)
    first = panel(client, ticket)
    with django_assert_max_num_queries(12) as again:
        second = panel(client, ticket)
    inserts = re.compile(r'data-sd-insert="([^"]*)"')
    # The articles' text to insert, read with the kept ranking.
    assert inserts.findall(second) == inserts.findall(first) and len(inserts.findall(first)) >= 2
    assert not [
        q for q in again.captured_queries if 'WHERE "knowledge_article"."id" = ' in q["sql"]
    ]
