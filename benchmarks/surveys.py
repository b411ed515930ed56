"""The survey invitation beat at scale: one cycle that invites 10,000 resolved tickets.

`time_invitation_cycle()` adds `due` resolved tickets past the delay (each of another
requester, so the budget leaves every one invited) beside `history` tickets resolved long
ago, runs one `invite_due` and reports how long it took. The target (issue 13): under 10 s.
Run by tests/benchmarks/test_survey_invitations.py on Postgres, or by hand:

    DATABASE_URL=postgres://... python manage.py shell -c \
        "from benchmarks import surveys; print(surveys.time_invitation_cycle())"
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Team, User
from surveys import services
from surveys.models import Invitation, SurveyRule, SurveySettings
from tickets.models import OutboxMessage, Service, Ticket


def seed_resolved(*, due: int, history: int) -> None:
    """`due` tickets resolved two hours ago by as many people, and `history` older ones."""
    user, ticket = User._meta.db_table, Ticket._meta.db_table
    team = Team.objects.create(name=f"Bench surveys {time.monotonic_ns()}")
    service = Service.objects.create(name=f"Bench surveys {time.monotonic_ns()}", owner_team=team)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {user} (password, is_superuser, email, full_name, role, job_title,
                                    phone, is_active, date_joined)
            SELECT '!', false, 'surveyed' || g || '-' || %s || '@bench.example.com',
                   'Surveyed ' || g, 'end_user', '', '', true, now()
            FROM generate_series(1, %s) g
            RETURNING id""",
            [time.monotonic_ns(), due],
        )
        people = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"""INSERT INTO {ticket} (subject, description, requester_id, service_id, category,
                    impact, urgency, priority, status, team_id, created_at, updated_at,
                    resolved_at, closed_at, version)
            SELECT 'Printer jammed', 'It jams.', p.id, %(service)s, 'incident', 'low', 'low', 5,
                   CASE WHEN p.n %% 3 = 0 THEN 'closed' ELSE 'resolved' END, %(team)s,
                   now() - interval '1 day', now() - interval '2 hours',
                   now() - interval '2 hours' - p.n * interval '1 millisecond',
                   CASE WHEN p.n %% 3 = 0 THEN now() - interval '1 hour' END, 1
            FROM unnest(%(people)s::bigint[]) WITH ORDINALITY AS p(id, n)""",
            {"service": service.pk, "team": team.pk, "people": people},
        )
        cursor.execute(
            f"""INSERT INTO {ticket} (subject, description, requester_id, service_id, category,
                    impact, urgency, priority, status, team_id, created_at, updated_at,
                    resolved_at, closed_at, version)
            SELECT 'Old question', 'Long ago.', %(person)s, %(service)s, 'request', 'low', 'low', 5,
                   'closed', %(team)s, now() - g * interval '1 minute' - interval '30 days',
                   now() - g * interval '1 minute' - interval '29 days',
                   now() - g * interval '1 minute' - interval '29 days',
                   now() - g * interval '1 minute' - interval '25 days', 1
            FROM generate_series(1, %(history)s) g""",
            {"person": people[0], "service": service.pk, "team": team.pk, "history": history},
        )
        cursor.execute(f"ANALYZE {ticket}")


def time_invitation_cycle(*, due: int = 10_000, history: int = 50_000) -> dict[str, float]:
    """Seed, then time one beat cycle of `invite_due`; returns the seconds and the counts."""
    SurveySettings.load()
    SurveyRule.objects.update_or_create(
        name="Default", defaults={"is_default": True, "sample_percent": 100, "is_active": True}
    )
    seed_resolved(due=due, history=history)
    before = Invitation.objects.count(), OutboxMessage.objects.count()
    started = time.monotonic()
    invited = services.invite_due(timezone.now())
    seconds = time.monotonic() - started
    with transaction.atomic():
        rows = Invitation.objects.count() - before[0], OutboxMessage.objects.count() - before[1]
    return {
        "seconds": round(seconds, 2),
        "invited": invited,
        "invitations": rows[0],
        "messages": rows[1],
        "per_ticket_ms": round(1000 * seconds / max(invited, 1), 3),
        "window_days": (services.invitations.LOOKBACK + timedelta(hours=1)).days,
    }
