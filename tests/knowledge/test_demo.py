"""The knowledge base `make run` loads: real articles in every state, and a history that could
have happened."""

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from knowledge import demo
from knowledge.markdown import render_markdown
from knowledge.models import (
    Article,
    Deflection,
    Feedback,
    Revision,
    SearchLog,
    SynonymGroup,
    Tag,
    TicketLink,
)
from tickets.models import Ticket

Status, Audience = Article.Status, Article.Audience
STEP = re.compile(r"^\s*\d+\. ", re.MULTILINE)


@pytest.fixture(scope="module")
def demo_database(django_db_setup, django_db_blocker) -> Iterator[str]:
    """Both demos, loaded once for this module's tests, and rolled back after the last one.

    Loading the ticket demo takes seconds; each test runs in a savepoint inside this
    transaction (pytest-django's own), so what one test changes the next does not see.
    """
    # A working Tuesday morning, as in the ticket demo's own tests.
    with (
        time_machine.travel("2026-11-24 10:30:00+00:00", tick=True),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("seed_demo", stdout=StringIO())
        out = StringIO()
        call_command("seed_knowledge", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def loaded(demo_database: str, db) -> str:
    return demo_database


# The loaded knowledge base


def test_demo_has_about_sixty_articles_in_every_state(loaded):
    assert "Loaded 66 knowledge articles" in loaded
    today = timezone.localdate()
    articles = Article.objects.all()
    assert 55 <= articles.count() <= 70
    assert articles.filter(status=Status.PUBLISHED, audience=Audience.EVERYONE).count() >= 40
    assert articles.filter(status=Status.PUBLISHED, audience=Audience.AGENTS).count() >= 5
    assert articles.filter(status=Status.IN_REVIEW).count() >= 2
    assert articles.filter(status=Status.DRAFT).exists()
    assert articles.filter(status=Status.RETIRED, retired_at__isnull=False).count() >= 3
    published = articles.filter(status=Status.PUBLISHED)
    assert not published.filter(Q(review_by__isnull=True) | Q(published_at__isnull=True)).exists()
    assert published.filter(review_by__lt=today).count() >= 3
    assert published.filter(review_by__gte=today).count() >= 40
    # An edit of a published article waits for review while readers keep the published text.
    waiting = Revision.objects.filter(
        state=Revision.State.IN_REVIEW, article__status=Status.PUBLISHED
    )
    assert waiting.count() >= 3
    for revision in waiting.select_related("article"):
        assert revision.based_on_id == revision.article.current_revision_id
        assert revision.body != revision.article.body
    assert Revision.objects.filter(state=Revision.State.REJECTED).exclude(review_note="").exists()
    # Some articles have an earlier approved version to compare with.
    assert (
        Article.objects.annotate(approved=Count("revisions", filter=Q(revisions__state="approved")))
        .filter(approved__gte=2)
        .count()
        >= 3
    )


def test_every_article_has_a_service_tags_and_steps_that_render(loaded):
    for article in Article.objects.prefetch_related("services", "tags", "revisions"):
        assert article.services.all(), article.slug
        assert article.tags.all(), article.slug
        assert article.revisions.all(), article.slug
        for text in [article.body, *(revision.body for revision in article.revisions.all())]:
            html = render_markdown(text)
            assert "<ol>" in html, article.slug
            # Every numbered step of the Markdown is a list item of the page.
            assert html.count("<li>") >= len(STEP.findall(text)), article.slug
            assert "<h1" not in html, article.slug
            assert "lorem" not in text.lower() and "ipsum" not in text.lower(), article.slug
        if article.is_published:
            assert "TODO" not in article.body, article.slug
            current = article.current_revision
            assert current is not None and current.state == Revision.State.APPROVED
            assert (current.title, current.summary, current.body) == (
                article.title,
                article.summary,
                article.body,
            )


def test_counters_agree_with_the_rows(loaded):
    votes = Counter(Feedback.objects.values_list("article", "helpful"))
    opened = Counter(
        SearchLog.objects.filter(opened_article__isnull=False).values_list(
            "opened_article", flat=True
        )
    )
    articles = list(Article.objects.all())
    for article in articles:
        yes, no = votes[(article.pk, True)], votes[(article.pk, False)]
        assert (article.helpful_count, article.unhelpful_count) == (yes, no), article.slug
        # Every opened result and every vote was a view; readers also browse without searching.
        assert article.view_count >= max(opened[article.pk], yes + no), article.slug
        if article.published_at is None:
            assert article.view_count == 0, article.slug
    assert Feedback.objects.filter(helpful=False).exclude(comment="").count() >= 20
    assert sum(article.view_count for article in articles) > 1000


def test_the_history_could_have_happened(loaded):
    now = timezone.now()
    logs = list(SearchLog.objects.select_related("ticket", "opened_article", "user"))
    assert len(logs) > 400
    sources = {log.source for log in logs}
    assert sources == set(SearchLog.Source.values)
    tickets_of: dict[int, list[datetime]] = {}
    for requester, created in Ticket.objects.values_list("requester", "created_at"):
        tickets_of.setdefault(requester, []).append(created)
    assert sum(log.results_count == 0 for log in logs) >= 30
    assert sum(log.ticket_id is not None for log in logs) >= 20
    assert sum(log.solved for log in logs) >= 20
    for log in logs:
        assert log.user is not None
        assert log.created_at <= now and log.normalised
        if log.ticket is not None:
            # As `record_ticket` counts it: the same person, within half an hour before.
            assert log.ticket.requester_id == log.user_id
            assert timedelta(0) <= log.ticket.created_at - log.created_at <= timedelta(minutes=30)
            assert not log.solved
        elif log.user.role == User.Role.END_USER:
            window = (log.created_at, log.created_at + timedelta(minutes=30))
            assert not any(window[0] < t <= window[1] for t in tickets_of.get(log.user.pk, []))
        if log.results_count == 0:
            assert log.opened_article is None
        if log.opened_article is not None:
            article = log.opened_article
            assert log.opened_at is not None and log.created_at <= log.opened_at <= now
            assert article.published_at is not None and article.published_at <= log.created_at
            assert article.retired_at is None or log.created_at < article.retired_at
            if log.user.role == User.Role.END_USER:
                assert article.audience == Audience.EVERYONE
        if log.solved:
            assert log.source == SearchLog.Source.SUGGESTION and log.opened_article is not None
            assert Deflection.objects.filter(search=log, kind=Deflection.Kind.SOLVED).exists()
        if log.box:
            assert log.source == SearchLog.Source.SUGGESTION
    assert not Deflection.objects.filter(kind=Deflection.Kind.SOLVED, search__solved=False).exists()
    for vote in Feedback.objects.select_related("article", "user"):
        assert vote.created_at <= now
        assert (
            vote.article.published_at is not None and vote.article.published_at <= vote.created_at
        )
        if vote.user.role == User.Role.END_USER:
            assert vote.article.audience == Audience.EVERYONE
    assert not Deflection.objects.filter(created_at__gt=now).exists()
    assert not Revision.objects.filter(created_at__gt=now).exists()
    assert TicketLink.objects.filter(relation=TicketLink.Relation.CREATED_FROM).exists()
    assert TicketLink.objects.count() >= 30
    for link in TicketLink.objects.select_related("ticket", "article", "linked_by"):
        assert link.linked_by.is_staff_member
        assert link.ticket.created_at <= link.created_at <= now


def test_one_agent_is_a_knowledge_editor(loaded):
    assert User.objects.get(full_name=demo.EDITOR).has_perm("knowledge.publish_article")
    assert not User.objects.get(email="sam.patel@example.com").has_perm("knowledge.publish_article")


def test_end_users_read_only_published_articles_for_everyone(loaded):
    ella = User.objects.get(email="ella.morgan@example.com")
    readable = Article.objects.for_readers(ella)
    assert (
        readable.count()
        == Article.objects.filter(status=Status.PUBLISHED, audience=Audience.EVERYONE).count()
    )
    assert not readable.filter(slug__startswith="runbook-").exists()


def test_loading_twice_changes_nothing(loaded):
    def snapshot() -> list[object]:
        return [
            *(
                model.objects.count()
                for model in (
                    Article,
                    Revision,
                    Tag,
                    SynonymGroup,
                    SearchLog,
                    Feedback,
                    Deflection,
                    TicketLink,
                )
            ),
            sorted(
                Article.objects.values_list(
                    "slug", "view_count", "helpful_count", "unhelpful_count", "updated_at"
                )
            ),
        ]

    before = snapshot()
    out = StringIO()
    call_command("seed_knowledge", stdout=out)
    assert "already loaded" in out.getvalue()
    assert snapshot() == before


def test_the_same_database_gets_the_same_history(loaded):
    now = timezone.now()

    def history() -> list[object]:
        return [
            sorted(
                SearchLog.objects.values_list(
                    "query",
                    "user__email",
                    "created_at",
                    "results_count",
                    "opened_article__slug",
                    "ticket__subject",
                    "solved",
                )
            ),
            sorted(
                Feedback.objects.values_list("article__slug", "user__email", "helpful", "comment")
            ),
            sorted(Article.objects.values_list("slug", "view_count", "created_at", "published_at")),
        ]

    def unload() -> None:
        Article.objects.all().delete()
        SearchLog.objects.all().delete()

    unload()
    demo.load(now=now)
    first = history()
    unload()
    demo.load(now=now)
    assert history() == first
