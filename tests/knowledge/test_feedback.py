"""The feedback services: views, votes, deflections and ticket links keep their rows and counters right."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from knowledge import feedback, searchlog
from knowledge.models import Article, Deflection, Feedback, SearchLog, TicketLink
from tests.factories import ArticleFactory, TicketFactory
from tests.test_cache_outage import AWAY
from tickets.models import Ticket, TicketEvent


@pytest.fixture
def article(db, service):
    return ArticleFactory.create(title="Reset your VPN token", services=[service])


def counters(article: Article) -> tuple[int, int, int]:
    article.refresh_from_db()
    return article.view_count, article.helpful_count, article.unhelpful_count


def test_a_view_counts_once_per_person_in_its_window(article, requester, other_requester):
    assert feedback.record_view(article, requester)
    assert not feedback.record_view(article, requester)  # a reload
    assert feedback.record_view(article, other_requester)
    assert counters(article) == (2, 0, 0)


def test_without_the_cache_every_view_counts(settings, article, requester):
    settings.CACHES = AWAY
    assert feedback.record_view(article, requester)
    assert feedback.record_view(article, requester)
    assert counters(article) == (2, 0, 0)


def test_a_first_vote_counts_once(article, requester):
    feedback.vote(article, requester, True)
    assert counters(article) == (0, 1, 0)
    assert Feedback.objects.get().helpful is True


def test_changing_a_vote_moves_it_between_the_counters(article, requester, other_requester):
    feedback.vote(article, other_requester, True)
    feedback.vote(article, requester, True)
    feedback.vote(article, requester, False, "Step 3 is missing")
    assert counters(article) == (0, 1, 1)
    feedback.vote(article, requester, False)  # the same answer again: no change of counts
    assert counters(article) == (0, 1, 1)
    assert Feedback.objects.get(user=requester).comment == "Step 3 is missing"
    feedback.vote(article, requester, True)
    assert counters(article) == (0, 2, 0)
    mine = Feedback.objects.get(user=requester)
    assert (mine.helpful, mine.comment) == (True, "")  # a changed answer drops the old note
    assert Feedback.objects.count() == 2


def test_what_was_missing_is_added_to_a_no(article, requester):
    feedback.vote(article, requester, False)
    feedback.vote(article, requester, False, "  It doesn't say where the tray is.  ")
    assert Feedback.objects.get().comment == "It doesn't say where the tray is."
    assert counters(article) == (0, 0, 1)


def test_an_overlong_comment_is_refused_and_nothing_is_saved(article, requester):
    with pytest.raises(ValidationError, match="under 1000 characters"):
        feedback.vote(article, requester, False, "x" * 1001)
    assert not Feedback.objects.exists()
    assert counters(article) == (0, 0, 0)


@pytest.mark.parametrize(
    ("status", "audience"),
    [
        (Article.Status.DRAFT, Article.Audience.EVERYONE),
        (Article.Status.IN_REVIEW, Article.Audience.EVERYONE),
        (Article.Status.RETIRED, Article.Audience.EVERYONE),
        (Article.Status.PUBLISHED, Article.Audience.AGENTS),
    ],
)
def test_nobody_votes_on_or_is_deflected_by_an_article_they_cannot_read(
    requester, status, audience
):
    hidden = ArticleFactory.create(status=status, audience=audience)
    with pytest.raises(PermissionDenied):
        feedback.vote(hidden, requester, True)
    with pytest.raises(PermissionDenied):
        feedback.record_deflection(requester, hidden)
    assert not Feedback.objects.exists() and not Deflection.objects.exists()


def test_a_deflection_marks_the_persons_search_solved_and_logs_no_ticket(
    article, requester, other_requester, service
):
    mine = searchlog.record_search(requester, "vpn token", results_count=1)
    theirs = searchlog.record_search(other_requester, "vpn token", results_count=1)
    assert mine and theirs
    deflection = feedback.record_deflection(requester, article, [mine.pk, theirs.pk], service)
    assert (deflection.user, deflection.article, deflection.search, deflection.service) == (
        requester,
        article,
        mine,
        service,
    )
    assert deflection.kind == Deflection.Kind.SOLVED
    assert set(SearchLog.objects.filter(solved=True)) == {mine}  # never someone else's
    assert not Ticket.objects.exists()


def test_a_second_this_solved_it_is_the_same_deflection(article, requester):
    first = feedback.record_deflection(requester, article)
    assert feedback.record_deflection(requester, article) == first
    later = timezone.now() + feedback.DEFLECTION_WINDOW + timedelta(minutes=1)
    assert feedback.record_deflection(requester, article, now=later) != first
    assert Deflection.objects.count() == 2


def test_an_agent_links_an_article_once_and_the_history_says_so(agent, ticket, article):
    link = feedback.link_article(ticket, article, agent)
    assert (link.ticket, link.article, link.linked_by) == (ticket, article, agent)
    assert feedback.link_article(ticket, article, agent) == link
    assert TicketLink.objects.count() == 1
    event = TicketEvent.objects.get(ticket=ticket, kind=TicketEvent.Kind.UPDATED)
    assert (event.actor, event.after) == (agent, {"article": article.title})


def test_unlinking_removes_the_link_and_the_history_says_so(agent, ticket, article):
    feedback.link_article(ticket, article, agent)
    assert feedback.unlink_article(ticket, article, agent)
    assert not TicketLink.objects.exists()
    assert not feedback.unlink_article(ticket, article, agent)
    events = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.UPDATED)
    assert [event.before for event in events] == [{}, {"article": article.title}]


def test_only_staff_who_see_the_ticket_link_articles_to_it(
    agent, other_agent, requester, ticket, article
):
    for person in (other_agent, requester):
        with pytest.raises(PermissionDenied):
            feedback.link_article(ticket, article, person)
    feedback.link_article(ticket, article, agent)
    for person in (other_agent, requester):
        with pytest.raises(PermissionDenied):
            feedback.unlink_article(ticket, article, person)
    assert TicketLink.objects.count() == 1


def test_a_draft_can_be_linked_as_written_from_the_ticket(agent, ticket):
    draft = ArticleFactory.create(status=Article.Status.DRAFT)
    link = feedback.link_article(ticket, draft, agent, TicketLink.Relation.CREATED_FROM)
    assert link.relation == TicketLink.Relation.CREATED_FROM


def test_a_ticket_of_another_team_is_not_linked(agent, article):
    elsewhere = TicketFactory.create()
    with pytest.raises(PermissionDenied):
        feedback.link_article(elsewhere, article, agent)
    assert not TicketLink.objects.exists()
