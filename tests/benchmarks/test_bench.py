"""The benchmark's own code, on a tiny data set, so it cannot rot between full runs."""

import pytest
from django.db import IntegrityError, connection

from accounts.models import User
from benchmarks import runner, seed
from surveys.models import Answer, Invitation
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
    assert {"survey answer page", "ticket, survey answer shown"} <= pages
    assert [row["page"] for row in rows if row["errors"]] == []
    survey = next(row for row in rows if row["page"] == "survey answer page")
    assert survey["kind"] == "survey-answer" and survey["verdict"] in ("ok", "miss")
    # Every request showed the page; none answered, so the next run finds the same invitation.
    assert Answer.objects.count() == 1  # the seeded answer of the other ticket
    assert seed.open_survey_invitation() is not None
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
    # The seed draws each article's status at random: ask about one the reader may read.
    target = (
        Article.objects.for_readers(reader)
        .filter(title__contains=" keeps asking for a password")
        .order_by("pk")
        .first()
    )
    assert target is not None
    product = target.title.split(" keeps asking")[0]
    hits = search(reader, f"{product.lower()} keeps asking for password")
    assert hits and hits[0].article.title.startswith(f"{product} keeps asking for a password")
    assert search(reader, runner.SUGGESTION_QUERY)
    assert seed.ensure_knowledge(seed.Volumes.for_tickets(1500)) is False  # seeded once


def test_seed_gives_the_survey_pages_an_open_invitation_and_an_answered_ticket(tiny, client):
    invitation = seed.open_survey_invitation()
    assert invitation is not None and invitation.is_open
    page = client.get(runner.survey_answer_path(invitation, score=4))
    assert page.status_code == 200 and b"Confirm your answer" in page.content
    assert not page.cookies  # no session: the signed link is the permission

    agent = User.objects.get(email=seed.BENCH_AGENT)
    answered = seed.answered_survey_ticket()
    assert answered is not None
    ticket = Ticket.objects.visible_to(agent).get(pk=answered)
    assert ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
    assert ticket.survey_invitations.get().pk != invitation.pk
    client.force_login(agent)
    page = client.get(f"/workspace/tickets/{ticket.pk}/")
    assert b'id="survey-answers"' in page.content
    assert seed.SURVEY_COMMENT.split(",")[0].encode() in page.content
    assert seed.ensure_surveys() is False  # seeded once


def test_a_database_seeded_before_the_survey_pages_gets_their_invitations_once(tiny):
    Invitation.objects.all().delete()
    assert seed.open_survey_invitation() is None and seed.answered_survey_ticket() is None
    assert seed.ensure_surveys() is True
    assert seed.open_survey_invitation() is not None
    assert seed.answered_survey_ticket() is not None
    assert seed.ensure_surveys() is False
    assert Invitation.objects.count() == 2 and Answer.objects.count() == 1


def test_the_survey_link_is_signed_with_the_servers_key_not_the_commands(tiny, client, settings):
    settings.SECRET_KEY = "the-bench-command's-own-key-" + "y" * 30
    invitation = seed.open_survey_invitation()
    assert invitation is not None
    path = runner.survey_answer_path(invitation, score=4)
    settings.SECRET_KEY = runner.SERVER_SECRET_KEY  # as the run's server reads it
    assert client.get(path).status_code == 200
