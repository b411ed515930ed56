"""The knowledge reports page: for agents and managers, a 404 for everyone else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge import searchlog
from knowledge.models import Article, Deflection
from tests.factories import ArticleFactory, TicketFactory

URL = reverse("dashboards:knowledge")


@pytest.fixture
def history(requester, service):
    now = timezone.now()
    article = ArticleFactory.create(
        title="Printer <b>offline</b>", view_count=12, unhelpful_count=9
    )
    searchlog.record_search(
        requester, "toner <script>", results_count=0, now=now - timedelta(hours=2)
    )
    gap = searchlog.record_search(
        requester, "vpn from hotel", results_count=1, now=now - timedelta(minutes=5)
    )
    searchlog.record_ticket(
        requester, TicketFactory.create(requester=requester, service=service), now=now
    )
    Deflection.objects.create(user=requester, article=article, service=service)
    return gap


@pytest.mark.parametrize("persona", ["agent", "manager", "admin_user"])
def test_staff_see_the_reports(persona, request, client_as, history, service):
    response = client_as(request.getfixturevalue(persona)).get(URL, {"days": "7"})
    assert response.status_code == 200
    html = response.content.decode()
    for text in [
        "Searches that found nothing",
        "toner &lt;script&gt;",
        "vpn from hotel",
        "Printer &lt;b&gt;offline&lt;/b&gt;",
        "Email &amp; Calendar",
        "Many No votes",
    ]:
        assert text in html, text
    assert "<script>" not in html.split("<body", 1)[1].split("</main>")[0]
    # Each article named leads to it in the editor (escaped as ever).
    article = Article.objects.get(title="Printer <b>offline</b>")
    editor = reverse("workspace:article-edit", args=[article.pk])
    assert f'<a href="{editor}">Printer &lt;b&gt;offline&lt;/b&gt;</a>' in html


def test_end_users_get_a_404_and_signed_out_people_the_login(client_as, requester, client):
    assert client_as(requester).get(URL).status_code == 404
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("days", ["", "abc", "5", "-1", "99999999999999999999"])
def test_a_bad_period_shows_the_default_one(days, client_as, agent):
    response = client_as(agent).get(URL, {"days": days})
    assert response.status_code == 200
    assert '<option value="30" selected>' in response.content.decode()


def test_the_dashboards_link_to_each_other_and_agents_reach_the_reports(client_as, agent, manager):
    overview = client_as(manager).get(reverse("dashboards:overview")).content.decode()
    assert f'href="{URL}"' in overview
    agent_page = client_as(agent).get(reverse("workspace:queue")).content.decode()
    assert f'href="{URL}"' in agent_page


def test_the_page_costs_the_same_queries_however_many_searches(
    client_as, agent, requester, history, django_assert_max_num_queries
):
    client = client_as(agent)
    client.get(URL)
    for n in range(20):
        searchlog.record_search(requester, f"query {n}", results_count=n % 2)
    with django_assert_max_num_queries(20):
        assert client.get(URL).status_code == 200


def test_review_dates_read_as_days(client_as, manager, db):
    from datetime import date

    ArticleFactory.create(title="Past its date", review_by=date(2026, 1, 15))
    html = client_as(manager).get(URL).content.decode()
    assert "15 Jan 2026" in html
