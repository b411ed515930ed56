"""The benchmark's own code, on a tiny data set, so it cannot rot between full runs."""

import pytest
from django.db import IntegrityError, connection

from benchmarks import runner, seed
from tickets.models import Comment, Ticket, TicketEvent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.needs("postgres"),
]


def vacuum_counts() -> tuple[int, int]:
    """How often the tickets table was vacuumed and analysed by hand, as Postgres counts it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT vacuum_count, analyze_count FROM pg_stat_user_tables WHERE relid = %s::regclass",
            [Ticket._meta.db_table],
        )
        return cursor.fetchone()


@pytest.fixture
def tiny(settings):
    seed.seed(
        seed.Volumes(tickets=1500, end_users=200, articles=400, searches=5000),
        log=lambda line: None,
    )


def test_seeded_tickets_have_sla_clocks_and_the_beat_cycle_is_timed(tiny):
    from tickets.models import SLAPolicy

    assert SLAPolicy.objects.filter(is_default=True).count() == 1
    assert not Ticket.objects.filter(sla_policy__isnull=True).exists()
    assert (
        not Ticket.objects.open().exclude(status="pending").filter(sla_due_at__isnull=True).exists()
    )
    assert Ticket.objects.exclude(resolution_outcome="").exists()
    vacuumed, analysed = vacuum_counts()
    seed.tidy_tickets()  # the vacuum a run does before timing
    assert vacuum_counts() == (vacuumed + 1, analysed + 1)
    cycle = runner.time_sla_cycle(runs=3)
    assert cycle["drained"] == 0 and cycle["p50_ms"] > 0  # nothing is due right after seeding


def test_seed_shapes_a_realistic_desk(tiny):
    assert Ticket.objects.count() == seed.seeded_size() == 1500
    assert 0 < Ticket.objects.open().count() / 1500 < 0.2  # mostly closed history
    assert 2 <= Comment.objects.count() / 1500 <= 4
    assert 4 <= TicketEvent.objects.count() / 1500 <= 8
    assert not Ticket.objects.filter(status="closed", closed_at__isnull=True).exists()
    assert not Ticket.objects.filter(status="new", assignee__isnull=False).exists()
    for ticket in Ticket.objects.filter(assignee__isnull=False).select_related("assignee")[:50]:
        assert ticket.assignee is not None
        assert ticket.assignee.teams.filter(pk=ticket.team_id).exists()


def test_every_page_answers_under_load_and_the_report_renders(tiny, live_server):
    plan = runner.build_plan(live_server.url, concurrency=2, seconds=0.2)
    rows = runner.drive(plan)  # a separate process, as in a full run
    pages = {row["page"] for row in rows}
    assert {
        "floor",
        "queue: unassigned",
        "queue: by SLA due",
        "queue: word search",
        "ticket, long thread",
    } <= pages
    assert {"submit (POST)", "portal home", "login page"} <= pages
    assert {"knowledge search, sentence", "knowledge suggestions", "knowledge reports"} <= pages
    assert [row["page"] for row in rows if row["errors"]] == []
    assert all(row["requests"] > 0 and row["p50_ms"] > 0 for row in rows)
    floor = next(row for row in rows if row["page"] == "floor")
    assert floor["ratio"] == 1.0
    markdown = runner.table(rows)
    assert markdown.count("\n") == len(rows) + 1
    assert "| floor |" in markdown
    submitted = Ticket.objects.filter(subject__startswith=runner.RUN_MARKER)
    assert TicketEvent.objects.filter(ticket__in=submitted).exists()
    assert runner.remove_run_tickets() > 0
    assert not submitted.exists()
    with pytest.raises(IntegrityError):  # the audit trail is append-only again
        TicketEvent.objects.all().delete()


def test_seed_shapes_a_knowledge_base_with_a_search_history(tiny):
    from knowledge.models import Article, SearchLog
    from knowledge.search import search

    assert Article.objects.count() == 400 and SearchLog.objects.count() == 5000
    assert 0.9 < Article.objects.published().count() / 400 < 1
    assert Article.objects.filter(tags__isnull=False).distinct().count() == 400
    assert 0.1 < SearchLog.objects.filter(results_count=0).count() / 5000 < 0.3
    assert SearchLog.objects.filter(opened_article__isnull=False).exists()
    reader = runner.typical_end_user()
    hits = search(reader, "teams keeps asking for password")
    assert hits and hits[0].article.title.startswith("Teams keeps asking for a password")
    assert search(reader, runner.SUGGESTION_QUERY)
    assert seed.ensure_knowledge(seed.Volumes.for_tickets(1500)) is False  # seeded once
