"""A year of survey history for the demo organisation (tickets' `seed_demo` loads it first).

Twelve months of resolved tickets with their invitations and answers, by the rules (one
budget per person, CES after CSAT for the identity services, a quarterly relationship NPS),
with trends a manager can find: Laptops & Desktops and Accounts & Passwords get better, VPN
& Remote Access gets worse, Sales is a little harder to please and Finance improves. Low
answers have their follow-ups, closed with an outcome, except the last fortnight's, some of
them overdue. Six months of agent pulse: two teams large enough to show, one too small.

Tickets resolved in the last days are left alone: the invitation beat surveys them live, and
their requesters' budget is left free for it (see seed_demo's tickets awaiting a survey).
Idempotent: a second run finds the history and does nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Department, Team, User
from servicedesk import versions
from tickets.calendars import BusinessCalendar
from tickets.models import Service, Ticket

from . import pulse
from .followups import business_days_after, schedule_for
from .models import (
    Answer,
    FollowUp,
    Instrument,
    Invitation,
    PulseParticipation,
    PulseResponse,
    PulseRound,
    SurveyRule,
    SurveySettings,
)
from .services.invitations import note_waiting

MARK = "demo-"  # the nonce of every demo invitation: how a second run knows the history is there
RECENT = timedelta(days=4)  # tickets resolved since are the invitation beat's
BUDGET = timedelta(days=14)

# Per service: CSAT's chance of a 4 or 5 a year ago and now (a straight line between).
SERVICE_TRENDS = {
    "Laptops & Desktops": (0.55, 0.88),
    "Accounts & Passwords": (0.64, 0.90),
    "VPN & Remote Access": (0.90, 0.45),
}
DEFAULT_TREND = (0.80, 0.83)
# Per department: a nudge on top of the service's chance, a year ago and now.
DEPARTMENT_TRENDS = {
    "Sales": (-0.08, -0.06),
    "Finance": (-0.05, 0.06),
    "Engineering": (-0.03, -0.03),
}
# Per department: the relationship NPS's chance of a promoter and of a detractor.
NPS_MIX = {"Sales": (0.28, 0.34), "Engineering": (0.45, 0.18), "Finance": (0.38, 0.22)}
DEFAULT_NPS_MIX = (0.40, 0.22)
CES_SERVICES = ("Accounts & Passwords", "Access Requests")

FIRST_NAMES = [
    "Aisha", "Ben", "Clara", "David", "Elena", "Farid", "Greta", "Hugo", "Ines", "Jonas",
    "Keira", "Luca", "Maya", "Nils", "Olga", "Pablo", "Rosa", "Sven", "Tara", "Umar",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Berg", "Costa", "Dalton", "Eriksen", "Fischer", "Garcia", "Hughes", "Ivanova",
    "Jensen", "Khan", "Lopez", "Moreau", "Nowak", "Okoro", "Patel", "Quinn", "Reid",
]  # fmt: skip
# Agents the pulse needs for groups of five: name, home team (the one they answer for).
PULSE_STAFF = [
    ("Amir Haddad", "Service Desk"),
    ("Beth Collins", "Service Desk"),
    ("Carlos Ruiz", "Service Desk"),
    ("Dina Petrova", "Service Desk"),
    ("Erik Johansson", "Network & Infrastructure"),
    ("Fatima Zahra", "Network & Infrastructure"),
    ("Gus Miller", "Network & Infrastructure"),
    ("Ivan Petrov", "Network & Infrastructure"),
    ("Hana Sato", "Business Applications"),
]
# The demo's own staff and the team each answers the pulse for.
HOME_TEAMS = {
    "Maria Jones": "Service Desk",
    "Sam Patel": "Service Desk",
    "Chloe Martin": "Service Desk",
    "Daniel Okafor": "Service Desk",
    "Henrik Larsen": "Network & Infrastructure",
    "Ana Sousa": "Network & Infrastructure",
    "Lucas Meyer": "Desktop & Devices",
    "Priya Nair": "Business Applications",
    "Tom Becker": "Business Applications",
    "Yuki Tanaka": "Security & Identity",
}
# Per team: the eNPS promoter and detractor chances five months ago and now.
PULSE_TRENDS = {
    "Service Desk": ((0.30, 0.30), (0.55, 0.12)),
    "Network & Infrastructure": ((0.45, 0.15), (0.25, 0.40)),
}

PRAISE = [
    "Quick and friendly, thank you!",
    "Sorted within the hour.",
    "Sam explained what went wrong, which helped.",
    "Really appreciated the follow-up call.",
]
COMPLAINTS = [
    "Took a week and nobody told me what was happening.",
    "I had to explain the problem three times to three people.",
    "Closed without asking me whether it worked. It did not.",
    "Nobody called back as promised.",
]
# What people say of one service in particular, when they are unhappy with it.
SERVICE_COMPLAINTS = {
    "VPN & Remote Access": "The VPN still drops every afternoon.",
    "Laptops & Desktops": "Two weeks without a working laptop.",
}
ACTIONS = [
    "We now call back within the day when a ticket waits on a part.",
    "Tickets are no longer passed on without a note of what was tried.",
    "We ask before closing a ticket whether the fix worked.",
    "Our callback promises now go into the ticket with a time.",
]


def line(start: float, end: float, progress: float) -> float:
    return start + (end - start) * progress


@dataclass
class History:
    """Everything written in one run, counted for the command's summary."""

    tickets: int = 0
    invitations: int = 0
    answers: int = 0
    follow_ups: int = 0
    open_follow_ups: int = 0
    pulse_answers: int = 0


def loaded() -> bool:
    return Invitation.objects.filter(nonce__startswith=MARK).exists()


def seed(*, per_month: int = 300, people: int = 400, seed: int = 11) -> History | None:
    """Load the survey history; None when the ticket demo is missing or it is already there."""
    if loaded() or not User.objects.filter(email="admin@example.com").exists():
        return None
    rng = random.Random(seed)  # nosec B311  # repeatable demo data
    now = timezone.now()
    with transaction.atomic():
        history = History()
        seed_rules()
        from tickets.management.commands.seed_demo import DEMO_PASSWORD

        # Hashed once: hashing it per person takes seconds.
        password = make_password(DEMO_PASSWORD)
        requesters = seed_people(rng, people, password=password)
        staff = seed_staff(password=password)
        tickets = seed_tickets(rng, per_month, requesters, now=now, history=history)
        surveyed = list(
            Ticket.objects.filter(
                status=Ticket.Status.CLOSED, resolved_at__lte=now - RECENT
            ).select_related("service", "requester__department", "team__lead")
        )
        seed_ticket_surveys(rng, surveyed, now=now, history=history)
        seed_relationship_nps(rng, requesters, now=now, history=history)
        seed_pulse(rng, staff, now=now, history=history)
        ensure_open_follow_ups(rng, "Service Desk", count=3, now=now, history=history)
        history.tickets = tickets
        versions.bump(versions.PEOPLE)
    return history


def seed_rules() -> None:
    SurveySettings.load()
    SurveyRule.objects.get_or_create(name="Default", defaults={"is_default": True})
    for name in CES_SERVICES:
        service = Service.objects.filter(name=name).first()
        if service is not None:
            SurveyRule.objects.get_or_create(
                name=f"{name}: CSAT, then how easy it was",
                defaults={"service": service, "ask_ces": True},
            )


def seed_people(rng: random.Random, count: int, *, password: str) -> list[User]:
    """The demo's requesters, and enough more of them that the budget rarely bites."""
    departments = list(Department.objects.order_by("name"))
    taken = set(User.objects.values_list("email", flat=True))
    extra = []
    for n in range(count):
        name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n // len(FIRST_NAMES) + n) % len(LAST_NAMES)]}"
        email = f"{name.lower().replace(' ', '.')}.{n}@example.com"
        if email in taken:
            continue
        extra.append(
            User(
                email=email,
                full_name=name,
                password=password,
                department=departments[n % len(departments)],
                job_title="Colleague",
            )
        )
    User.objects.bulk_create(extra)
    return list(User.objects.filter(role=User.Role.END_USER, is_active=True).order_by("pk"))


def seed_staff(*, password: str) -> dict[str, User]:
    """The agents the pulse's groups need, each in their home team; everyone's home team."""
    from tickets.management.commands.seed_demo import email_for

    teams = {team.name: team for team in Team.objects.all()}
    operations = Department.objects.filter(name="Operations").first()
    for name, team_name in PULSE_STAFF:
        person, created = User.objects.get_or_create(
            email=email_for(name),
            defaults={
                "full_name": name,
                "role": User.Role.AGENT,
                "password": password,
                "department": operations,
                "job_title": "Agent",
            },
        )
        if team_name in teams:
            teams[team_name].members.add(person)
        HOME_TEAMS.setdefault(name, team_name)
    return {p.full_name: p for p in User.objects.filter(full_name__in=HOME_TEAMS, is_active=True)}


def seed_tickets(
    rng: random.Random, per_month: int, requesters: list[User], *, now: datetime, history: History
) -> int:
    """A year of closed tickets, spread over the services, resolved by their teams' agents."""
    from tickets.management.commands.seed_demo import SUBJECTS

    services = list(Service.objects.select_related("owner_team"))
    members: dict[int, list[User | None]] = {
        team.pk: [*team.members.all()] or [team.lead]
        for team in Team.objects.prefetch_related("members").select_related("lead")
    }
    rows = []
    first = now - timedelta(days=365)
    span = (now - RECENT - first).total_seconds()
    for _ in range(per_month * 12):
        created = first + timedelta(seconds=rng.random() * span)
        resolved = created + timedelta(hours=rng.randint(1, 72))
        if resolved > now - RECENT:
            continue
        service = rng.choice(services)
        subject = rng.choice(SUBJECTS.get(service.name, ["Something does not work"]))
        requester = rng.choice(requesters)
        rows.append(
            Ticket(
                subject=subject,
                description=f"{subject}.\n\nThanks",
                requester=requester,
                service=service,
                team=service.owner_team,
                assignee=rng.choice(members[service.owner_team_id]),
                category=Ticket.Category.REQUEST
                if "Request" in service.name
                else Ticket.Category.INCIDENT,
                status=Ticket.Status.CLOSED,
                created_at=created,
                updated_at=resolved + timedelta(days=2),
                first_responded_at=created + timedelta(minutes=rng.randint(10, 240)),
                resolved_at=resolved,
                closed_at=resolved + timedelta(days=2),
            )
        )
    Ticket.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def csat_score(rng: random.Random, satisfied: float) -> int:
    if rng.random() < satisfied:
        return 5 if rng.random() < 0.55 else 4
    roll = rng.random()
    return 3 if roll < 0.45 else (2 if roll < 0.75 else 1)


def seed_ticket_surveys(
    rng: random.Random, tickets: list[Ticket], *, now: datetime, history: History
) -> None:
    """Each closed ticket weighed once, in the order resolved, as the invitation beat would."""
    first = now - timedelta(days=365)
    last_invited: dict[int, datetime] = {}
    # People with a resolved ticket the invitation beat is about to survey (seed_demo's): their
    # history leaves the budget free, so the beat's live invitation reaches them.
    awaiting = set(
        Ticket.objects.filter(
            status=Ticket.Status.RESOLVED, resolved_at__gte=now - RECENT
        ).values_list("requester_id", flat=True)
    )
    invitations: list[Invitation] = []
    # Per invitation: (answered at, CSAT, asks CES, chance satisfied), or None unanswered.
    scores: list[tuple[datetime, int, bool, float] | None] = []
    for ticket in sorted(tickets, key=lambda t: t.resolved_at or now):
        resolved = ticket.resolved_at or now
        sent = resolved + timedelta(hours=1)
        progress = max(0.0, min(1.0, (sent - first) / (now - first)))
        fields: dict[str, Any] = {
            "ticket": ticket,
            "person": ticket.requester,
            "instrument": Instrument.CSAT,
            "resolved_at": resolved,
            "service_id": ticket.service_id,
            "team_id": ticket.team_id,
            "agent_id": ticket.assignee_id,
            "department_id": ticket.requester.department_id,
            "created_at": sent,
        }
        previous = last_invited.get(ticket.requester_id)
        over_budget = previous is not None and sent - previous < BUDGET
        if over_budget or (ticket.requester_id in awaiting and now - sent < BUDGET):
            reason = (
                Invitation.SkipReason.BUDGET if over_budget else Invitation.SkipReason.NOT_SAMPLED
            )
            invitations.append(
                Invitation(**fields, status=Invitation.Status.SKIPPED, skip_reason=reason)
            )
            scores.append(None)
            continue
        last_invited[ticket.requester_id] = sent
        asks_ces = ticket.service.name in CES_SERVICES
        expires = sent + timedelta(days=14)
        answered = rng.random() < line(0.38, 0.50, progress)
        answered_at = sent + timedelta(hours=rng.randint(1, 60))
        if answered:
            status = Invitation.Status.ANSWERED
        else:
            status = Invitation.Status.EXPIRED if expires <= now else Invitation.Status.SENT
        invitations.append(
            Invitation(
                **fields,
                asks_ces=asks_ces,
                status=status,
                sent_at=sent,
                expires_at=expires,
                answered_at=answered_at if answered else None,
                nonce=f"{MARK}{ticket.pk}",
            )
        )
        if not answered:
            scores.append(None)
            continue
        department = ticket.requester.department.name if ticket.requester.department else ""
        start, end = SERVICE_TRENDS.get(ticket.service.name, DEFAULT_TREND)
        nudge = DEPARTMENT_TRENDS.get(department, (0.0, 0.0))
        satisfied = line(start, end, progress) + line(*nudge, progress)
        scores.append((answered_at, csat_score(rng, satisfied), asks_ces, satisfied))
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    note_waiting(invitations)
    history.invitations += sum(i.status != Invitation.Status.SKIPPED for i in invitations)
    answers = []
    for invitation, scored in zip(invitations, scores, strict=True):
        if scored is None:
            continue
        answered_at, csat, asks_ces, satisfied = scored
        comment = ""
        if rng.random() < 0.35 and csat != 3:
            service = invitation.ticket.service.name if invitation.ticket else ""
            unhappy = COMPLAINTS + [SERVICE_COMPLAINTS.get(service, "")]
            comment = rng.choice([c for c in unhappy if c] if csat <= 2 else PRAISE)
        answers.append(
            Answer(
                invitation=invitation,
                instrument=Instrument.CSAT,
                score=csat,
                comment=comment,
                answered_at=answered_at,
            )
        )
        if asks_ces:
            ces = max(1, min(7, round(rng.gauss(2 + 4.5 * satisfied, 1.1))))
            answers.append(
                Answer(
                    invitation=invitation,
                    instrument=Instrument.CES,
                    score=ces,
                    answered_at=answered_at,
                )
            )
    Answer.objects.bulk_create(answers, batch_size=1000)
    history.answers += len(answers)
    seed_follow_ups(rng, answers, now=now, history=history)


def seed_relationship_nps(
    rng: random.Random, requesters: list[User], *, now: datetime, history: History
) -> None:
    """Every quarter, a fifth of the requesters asked the relationship NPS question."""
    invitations, answers = [], []
    for quarter in range(4):
        sent = now - timedelta(days=90 * quarter + 20)
        for person in rng.sample(requesters, k=max(1, len(requesters) // 5)):
            promoter, detractor = NPS_MIX.get(
                person.department.name if person.department else "", DEFAULT_NPS_MIX
            )
            # A little better each quarter, as the follow-ups take effect.
            promoter += 0.03 * (3 - quarter)
            answered = rng.random() < 0.4
            invitation = Invitation(
                person=person,
                instrument=Instrument.NPS,
                department_id=person.department_id,
                created_at=sent,
                sent_at=sent,
                expires_at=sent + timedelta(days=21),
                status=Invitation.Status.ANSWERED if answered else Invitation.Status.EXPIRED,
                answered_at=sent + timedelta(hours=rng.randint(1, 90)) if answered else None,
                nonce=f"{MARK}nps-{quarter}-{person.pk}",
            )
            invitations.append(invitation)
            if answered:
                roll = rng.random()
                score = (
                    rng.choice([9, 10])
                    if roll < promoter
                    else rng.randint(0, 6)
                    if roll < promoter + detractor
                    else rng.choice([7, 8])
                )
                answers.append((invitation, score))
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    note_waiting(invitations)
    rows = [
        Answer(
            invitation=invitation,
            instrument=Instrument.NPS,
            score=score,
            comment=rng.choice(COMPLAINTS) if score <= 4 and rng.random() < 0.4 else "",
            answered_at=invitation.answered_at or now,
        )
        for invitation, score in answers
    ]
    Answer.objects.bulk_create(rows)
    history.invitations += len(invitations)
    history.answers += len(rows)
    seed_follow_ups(rng, rows, now=now, history=history)


def seed_follow_ups(
    rng: random.Random, answers: list[Answer], *, now: datetime, history: History
) -> None:
    """The follow-ups of the low answers: closed with an outcome, but the last fortnight's."""
    config = SurveySettings.load()
    low: dict[str, int] = {
        Instrument.CSAT: config.csat_low_at_most,
        Instrument.NPS: config.nps_low_at_most,
        Instrument.CES: config.ces_low_at_most,
    }
    office = BusinessCalendar.objects.filter(is_24x7=False).first()
    calendar = office.schedule() if office else schedule_for(None)
    leads = {team.pk: team for team in Team.objects.select_related("lead")}
    latest_team = dict(
        Ticket.objects.order_by("requester_id", "updated_at").values_list("requester_id", "team_id")
    )
    seen: set[int] = set()
    rows = []
    for answer in answers:
        invitation = answer.invitation
        if answer.score > low[answer.instrument] or invitation.pk in seen:
            continue
        seen.add(invitation.pk)
        team_id = invitation.team_id or latest_team.get(invitation.person_id)
        team = leads.get(team_id) if team_id else None
        due = business_days_after(calendar, answer.answered_at, 2)
        row = FollowUp(
            answer=answer,
            person_id=invitation.person_id,
            ticket_id=invitation.ticket_id,
            team=team,
            owner=team.lead if team else None,
            created_at=answer.answered_at,
            due_at=due,
        )
        if now - answer.answered_at > timedelta(days=14):
            row.contacted_at = answer.answered_at + timedelta(hours=rng.randint(3, 40))
            roll = rng.random()
            row.outcome = (
                FollowUp.Outcome.RECOVERED
                if roll < 0.6
                else FollowUp.Outcome.NOT_RECOVERED
                if roll < 0.8
                else FollowUp.Outcome.COULD_NOT_REACH
            )
            if row.outcome == FollowUp.Outcome.COULD_NOT_REACH:
                row.contacted_at = None
            row.action_taken = rng.choice(ACTIONS) if rng.random() < 0.7 else ""
            row.tell_requester = bool(row.action_taken) and rng.random() < 0.5
            row.status = FollowUp.Status.CLOSED
            row.closed_at = (row.contacted_at or answer.answered_at) + timedelta(
                hours=rng.randint(1, 30)
            )
            row.closed_by = row.owner or leads[next(iter(leads))].lead
        else:
            history.open_follow_ups += 1
        rows.append(row)
    FollowUp.objects.bulk_create(rows)
    history.follow_ups += len(rows)


def seed_pulse(
    rng: random.Random, staff: dict[str, User], *, now: datetime, history: History
) -> None:
    """Five closed monthly rounds and this month's open one, answered by most of each team."""
    teams = {team.name: team for team in Team.objects.all()}
    month = pulse.month_of(now)
    months = [month]
    for _ in range(5):
        month = (month - timedelta(days=1)).replace(day=1)
        months.append(month)
    for index, first_day in enumerate(reversed(months)):
        opens = pulse.local_midnight(first_day) + timedelta(hours=9)
        closes = pulse.local_midnight(pulse.next_month(first_day))
        pulse_round, created = PulseRound.objects.get_or_create(
            month=first_day, defaults={"opens_at": min(opens, now), "closes_at": closes}
        )
        if not created:
            continue
        current = closes > now
        progress = index / 5
        for name, person in staff.items():
            team = teams.get(HOME_TEAMS.get(name, ""))
            # Most answer; this month's round has a few answers so far, never Sam's (the demo's
            # agent can still answer it).
            if rng.random() > (0.35 if current else 0.85) or (current and name == "Sam Patel"):
                continue
            (p0, d0), (p1, d1) = PULSE_TRENDS.get(
                team.name if team else "", ((0.3, 0.3), (0.3, 0.3))
            )
            promoter, detractor = line(p0, p1, progress), line(d0, d1, progress)
            roll = rng.random()
            enps = (
                rng.choice([9, 10])
                if roll < promoter
                else rng.randint(3, 6)
                if roll < promoter + detractor
                else rng.choice([7, 8])
            )
            PulseParticipation.objects.create(round=pulse_round, person=person)
            PulseResponse.objects.create(
                round=pulse_round,
                team=team,
                department_id=person.department_id,
                enps=enps,
                workload=max(1, min(5, round(rng.gauss(3.4 if enps >= 7 else 2.4, 0.8)))),
            )
            history.pulse_answers += 1
        if not current:
            pulse.shuffle_responses(pulse_round)


def ensure_open_follow_ups(
    rng: random.Random, team_name: str, *, count: int, now: datetime, history: History
) -> None:
    """A team whose lead logs in to the demo has open follow-ups, the oldest overdue: recent
    answers about its tickets made low, as a bad week would."""
    team = Team.objects.filter(name=team_name).select_related("lead").first()
    if team is None:
        return
    have = FollowUp.objects.open().filter(team=team).count()
    recent = list(
        Answer.objects.filter(
            instrument=Instrument.CSAT,
            invitation__team=team,
            invitation__ticket__isnull=False,
            answered_at__gte=now - timedelta(days=14),
            follow_up__isnull=True,
        )
        .select_related("invitation")
        .order_by("answered_at")[: max(0, count - have)]
    )
    office = BusinessCalendar.objects.filter(is_24x7=False).first()
    calendar = office.schedule() if office else schedule_for(None)
    for answer in recent:
        answer.score = rng.choice([1, 2])
        answer.comment = rng.choice(COMPLAINTS)
        answer.save(update_fields=["score", "comment"])
        FollowUp.objects.create(
            answer=answer,
            person_id=answer.invitation.person_id,
            ticket_id=answer.invitation.ticket_id,
            team=team,
            owner=team.lead,
            created_at=answer.answered_at,
            due_at=business_days_after(calendar, answer.answered_at, 2),
        )
        history.follow_ups += 1
        history.open_follow_ups += 1
