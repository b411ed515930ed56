"""Load a small, realistic organisation so every page has something to show."""

import random
from datetime import datetime, time, timedelta
from typing import cast

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from accounts.models import Department, Team, User
from servicedesk import versions
from tickets import services, sla
from tickets.calendars import BusinessCalendar, WorkingHours, add_country_holidays
from tickets.models import (
    Comment,
    Level,
    Priority,
    Service,
    SLAPolicy,
    Ticket,
    TicketEvent,
    priority_for,
)
from tickets.services.editing import record_clock_events

DEMO_PASSWORD = "servicedesk-demo"  # nosec B105  # the demo's published password, for demo data only
DEMO_LOGINS = [
    ("End user", "ella.morgan@example.com"),
    ("Agent", "sam.patel@example.com"),
    ("Manager", "maria.jones@example.com"),
    ("Admin", "admin@example.com"),
]

DEPARTMENTS = [
    "Finance",
    "People & HR",
    "Sales",
    "Marketing",
    "Engineering",
    "Operations",
    "Legal",
]

# name, tier, lead, members
TEAMS = [
    ("Service Desk", 1, "Maria Jones", ["Sam Patel", "Chloe Martin", "Daniel Okafor"]),
    ("Desktop & Devices", 2, "Maria Jones", ["Lucas Meyer", "Sam Patel"]),
    ("Network & Infrastructure", 2, "Henrik Larsen", ["Ana Sousa", "Lucas Meyer"]),
    ("Business Applications", 2, "Henrik Larsen", ["Priya Nair", "Tom Becker"]),
    ("Security & Identity", 3, "Henrik Larsen", ["Yuki Tanaka", "Priya Nair"]),
]

# name, owner team, description
SERVICES = [
    (
        "Email & Calendar",
        "Service Desk",
        "Mailboxes, shared calendars, distribution lists.",
    ),
    (
        "Laptops & Desktops",
        "Desktop & Devices",
        "Company computers, docking stations, monitors.",
    ),
    ("Printing", "Desktop & Devices", "Office printers and scanners."),
    (
        "VPN & Remote Access",
        "Network & Infrastructure",
        "Working from home and travelling.",
    ),
    (
        "Wi-Fi & Office Network",
        "Network & Infrastructure",
        "Wireless and wired networks in the offices.",
    ),
    (
        "Accounts & Passwords",
        "Security & Identity",
        "Logins, password resets, multi-factor authentication.",
    ),
    (
        "Access Requests",
        "Security & Identity",
        "Access to systems, shared drives and groups.",
    ),
    (
        "ERP (Finance)",
        "Business Applications",
        "Invoices, purchase orders, financial reporting.",
    ),
    (
        "CRM (Sales)",
        "Business Applications",
        "Accounts, opportunities and pipeline reports.",
    ),
    (
        "Phones & Mobile",
        "Service Desk",
        "Desk phones, mobile phones and conference rooms.",
    ),
    ("File Sharing", "Service Desk", "Shared drives and document collaboration."),
]

END_USERS = [
    ("Ella Morgan", "Finance", "Accountant"),
    ("Oliver Grant", "Finance", "Controller"),
    ("Mia Schneider", "People & HR", "HR Partner"),
    ("Noah Williams", "Sales", "Account Executive"),
    ("Sofia Rossi", "Sales", "Sales Manager"),
    ("Liam O'Brien", "Marketing", "Content Lead"),
    ("Isla Fraser", "Marketing", "Designer"),
    ("Ethan Clarke", "Engineering", "Software Engineer"),
    ("Zara Ahmed", "Engineering", "Engineering Manager"),
    ("Jack Wilson", "Operations", "Logistics Planner"),
    ("Grace Kim", "Operations", "Office Manager"),
    ("Leo Novak", "Legal", "Counsel"),
    ("Amelia Brown", "Sales", "Sales Assistant"),
    ("Harry Evans", "Engineering", "QA Engineer"),
    ("Freya Lund", "People & HR", "Recruiter"),
    ("Oscar Dubois", "Finance", "Payroll Specialist"),
    ("Ava Thompson", "Marketing", "Events Coordinator"),
    ("Max Hoffmann", "Operations", "Facilities"),
]

STAFF = {
    "Sam Patel": User.Role.AGENT,
    "Chloe Martin": User.Role.AGENT,
    "Daniel Okafor": User.Role.AGENT,
    "Lucas Meyer": User.Role.AGENT,
    "Ana Sousa": User.Role.AGENT,
    "Priya Nair": User.Role.AGENT,
    "Tom Becker": User.Role.AGENT,
    "Yuki Tanaka": User.Role.AGENT,
    "Maria Jones": User.Role.MANAGER,
    "Henrik Larsen": User.Role.MANAGER,
}

SUBJECTS = {
    "Email & Calendar": [
        "Outlook keeps asking for my password",
        "Can't see the shared Finance calendar",
        "Emails to a customer bounce",
        "Need a distribution list for the project",
    ],
    "Laptops & Desktops": [
        "Laptop very slow since the update",
        "Second monitor not detected",
        "Laptop battery drains in an hour",
        "Request a new laptop for a new starter",
    ],
    "Printing": [
        "Printer on floor 2 jams on every job",
        "Can't find the colour printer",
        "Scanner doesn't send to email",
    ],
    "VPN & Remote Access": [
        "VPN disconnects every few minutes",
        "Can't connect to VPN from the hotel",
        "VPN access for a contractor",
    ],
    "Wi-Fi & Office Network": [
        "No Wi-Fi in meeting room Atlas",
        "Network port dead at desk 4.12",
        "Guest Wi-Fi for a visitor event",
    ],
    "Accounts & Passwords": [
        "Locked out after password change",
        "MFA app on my new phone",
        "Password reset for shared account",
    ],
    "Access Requests": [
        "Access to the Legal shared drive",
        "Add me to the Sales reporting group",
        "Admin rights to install software",
    ],
    "ERP (Finance)": [
        "Invoice approval stuck in workflow",
        "ERP report shows wrong totals",
        "Can't post journal entries",
    ],
    "CRM (Sales)": [
        "Pipeline report is empty",
        "Can't merge duplicate accounts",
        "CRM licence for a new account executive",
    ],
    "Phones & Mobile": [
        "Conference room phone has no dial tone",
        "New mobile phone for the field team",
        "Voicemail PIN reset",
    ],
    "File Sharing": [
        "File locked by a user who left",
        "Restore a deleted folder",
        "Shared drive is full",
    ],
}

DETAILS = [
    "It started this morning and restarting did not help.",
    "It has happened a few times this week, always in the afternoon.",
    "Colleagues next to me see the same thing.",
    "I need this before the end of the month for the audit.",
]
REPLIES = [
    "Thanks for reporting this. I'm looking into it now.",
    "Could you send a screenshot of the error message, please?",
    "I've applied a fix on our side. Could you try again and let me know?",
    "We've ordered the part; it should arrive in two working days.",
    "This is done. Please check and confirm it works for you.",
]
REQUESTER_REPLIES = [
    "Here is the screenshot you asked for.",
    "Tried again, still the same.",
    "It works now, thank you!",
]
NOTES = [
    "Same issue as last week on this floor; check the switch.",
    "Escalating to tier 2 if the reset does not help.",
]

# status, share of tickets
STATUS_MIX = [
    (Ticket.Status.NEW, 0.10),
    (Ticket.Status.OPEN, 0.18),
    (Ticket.Status.PENDING, 0.08),
    (Ticket.Status.RESOLVED, 0.10),
    (Ticket.Status.CLOSED, 0.48),
    (Ticket.Status.CANCELLED, 0.06),
]


def email_for(name: str) -> str:
    return name.lower().replace("'", "").replace(" ", ".") + "@example.com"


class Command(BaseCommand):
    help = "Load demo data: departments, teams, services, people and a few hundred tickets."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=320)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: object, tickets: int, seed: int, **options: object) -> None:
        if User.objects.filter(email="admin@example.com").exists():
            self.stdout.write("  Demo data is already loaded.")
        else:
            with transaction.atomic():
                self.seed(random.Random(seed), tickets)  # nosec B311  # repeatable demo data
                versions.bump(versions.PEOPLE, versions.CATALOGUE)
            # Warnings and breaches that are due now, recorded as the beat task would, but
            # not emailed: they are history, not news.
            services.check_sla(now=timezone.now(), limit=10_000, notify_people=False)
            self.stdout.write(f"  Loaded demo data with {tickets} tickets.")
        self.stdout.write(f"  Demo logins (password: {DEMO_PASSWORD})")
        for role, email in DEMO_LOGINS:
            self.stdout.write(f"    {role:<9} {email}")

    def seed(self, rng: random.Random, count: int) -> None:
        # Hash the shared demo password once; hashing it per person takes seconds.
        password = make_password(DEMO_PASSWORD)
        departments = {name: Department.objects.create(name=name) for name in DEPARTMENTS}
        people: dict[str, User] = {}
        for name, department, title in END_USERS:
            people[name] = User.objects.create(
                email=email_for(name),
                password=password,
                full_name=name,
                job_title=title,
                department=departments[department],
            )
        for name, role in STAFF.items():
            people[name] = User.objects.create(
                email=email_for(name),
                password=password,
                full_name=name,
                role=role,
                department=departments["Operations"],
                job_title=role.label,
            )
        User.objects.create(
            email="admin@example.com",
            password=password,
            full_name="Ada Admin",
            role=User.Role.ADMIN,
            is_superuser=True,
        )

        teams = {}
        for name, tier, lead, members in TEAMS:
            team = Team.objects.create(name=name, tier=tier, lead=people[lead])
            team.members.set([people[m] for m in members] + [people[lead]])
            teams[name] = team
        services = {
            name: Service.objects.create(
                name=name, owner_team=teams[owner], description=description
            )
            for name, owner, description in SERVICES
        }
        self.seed_slas(departments)
        requesters = [people[name] for name, _, _ in END_USERS]
        self.seed_tickets(rng, count, services, requesters)
        self.seed_awaiting_survey(rng, services, requesters[:4])

    def seed_slas(self, departments: dict[str, Department]) -> None:
        office = BusinessCalendar.objects.create(name="UK office hours", time_zone="Europe/London")
        for weekday in range(5):
            WorkingHours.objects.create(
                calendar=office, weekday=weekday, start=time(8, 30), end=time(17, 30)
            )
        today = timezone.localdate()
        for year in (today.year, today.year + 1):
            add_country_holidays(office, country="GB", year=year)
        always = BusinessCalendar.objects.create(
            name="24x7", time_zone="Europe/London", is_24x7=True
        )
        policies = [
            ("P1 Critical, around the clock", {"priority": Priority.P1, "calendar": always}, 30, 4 * 60, 60),
            ("P2 High", {"priority": Priority.P2, "calendar": office}, 60, 8 * 60, 2 * 60),
            ("Finance systems", {"priority": Priority.P3, "department": departments["Finance"], "calendar": office}, 2 * 60, 16 * 60, None),
            ("Standard", {"calendar": office, "is_default": True}, 4 * 60, 27 * 60, 8 * 60),
        ]  # fmt: skip
        for name, match, response, resolution, update in policies:
            SLAPolicy.objects.create(
                name=name,
                first_response_minutes=response,
                resolution_minutes=resolution,
                next_update_minutes=update,
                **match,
            )

    def seed_tickets(
        self,
        rng: random.Random,
        count: int,
        services: dict[str, Service],
        requesters: list[User],
    ) -> None:
        now = timezone.now()
        statuses = [s for s, _ in STATUS_MIX]
        weights = [w for _, w in STATUS_MIX]
        members_by_team = {
            team.pk: list(team.members.all()) for team in Team.objects.prefetch_related("members")
        }
        levels = [Level.LOW, Level.LOW, Level.MEDIUM, Level.HIGH]
        ella = requesters[0]
        for index in range(count):
            service = rng.choice(list(services.values()))
            status = rng.choices(statuses, weights)[0]
            # Ella, the demo end user, gets one ticket in every state first, then a share of the rest.
            requester = ella if index < len(statuses) or index % 9 == 0 else rng.choice(requesters)
            if index < len(statuses):
                status = statuses[index]
            open_recently = status in Ticket.OPEN_STATUSES
            # Open tickets are mostly recent, so the queues show every SLA state.
            span = (
                60 * 24 * 6 * rng.random() ** 2.5
                if open_recently
                else rng.randint(60, 60 * 24 * 90)
            )
            created = now - timedelta(minutes=20 + span)
            impact, urgency = rng.choice(levels), rng.choice(levels)
            team_members = members_by_team[service.owner_team_id]
            assignee = None if status == Ticket.Status.NEW else rng.choice(team_members)
            subject = rng.choice(SUBJECTS[service.name])
            ticket = Ticket.objects.create(
                subject=subject,
                description=f"Hello,\n\n{subject}. {rng.choice(DETAILS)}\n\nThanks",
                requester=requester,
                service=service,
                team=service.owner_team,
                assignee=assignee,
                category=Ticket.Category.REQUEST
                if "Request" in service.name or rng.random() < 0.25
                else Ticket.Category.INCIDENT,
                impact=impact,
                urgency=urgency,
                priority=priority_for(impact, urgency),
                status=status,
                created_at=created,
                updated_at=created,
            )
            events = [
                TicketEvent(
                    ticket=ticket,
                    actor=requester,
                    kind=TicketEvent.Kind.CREATED,
                    after={"status": "new"},
                    created_at=created,
                )
            ]
            moment = created
            requester_wrote = None
            if assignee:
                moment += timedelta(minutes=rng.randint(5, 240))
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        actor=assignee,
                        kind=TicketEvent.Kind.TAKEN,
                        after={"assignee": str(assignee)},
                        created_at=min(moment, now),
                    )
                )
                moment += timedelta(minutes=rng.randint(5, 120))
                Comment.objects.create(
                    ticket=ticket,
                    author=assignee,
                    body=rng.choice(REPLIES[:3]),
                    created_at=min(moment, now),
                )
                ticket.first_responded_at = moment
                if rng.random() < 0.3:
                    moment += timedelta(minutes=rng.randint(5, 60))
                    Comment.objects.create(
                        ticket=ticket,
                        author=assignee,
                        body=rng.choice(NOTES),
                        is_internal=True,
                        created_at=min(moment, now),
                    )
                # A ticket waiting on its requester has not had their answer yet.
                if rng.random() < 0.5 and status != Ticket.Status.PENDING:
                    moment += timedelta(minutes=rng.randint(30, 600))
                    Comment.objects.create(
                        ticket=ticket,
                        author=requester,
                        body=rng.choice(REQUESTER_REPLIES),
                        created_at=min(moment, now),
                    )
                    requester_wrote = min(moment, now)
            if status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
                moment += timedelta(hours=rng.randint(1, 48))
                ticket.resolved_at = moment
                events.append(
                    TicketEvent(
                        ticket=ticket,
                        actor=assignee,
                        kind=TicketEvent.Kind.STATUS_CHANGED,
                        before={"status": "open"},
                        after={"status": "resolved"},
                        created_at=min(moment, now),
                    )
                )
            if status == Ticket.Status.CLOSED:
                moment += timedelta(hours=rng.randint(1, 72))
                ticket.closed_at = min(moment, now)
            if ticket.first_responded_at and ticket.first_responded_at > now:
                ticket.first_responded_at = None
            if ticket.resolved_at:
                ticket.resolved_at = min(ticket.resolved_at, now)
            moment = min(moment, now)
            ticket.updated_at = moment
            TicketEvent.objects.bulk_create(events)
            self.run_clock(ticket, status=status, last=moment, requester_wrote=requester_wrote)
            ticket.save(
                update_fields=[
                    "first_responded_at",
                    "resolved_at",
                    "closed_at",
                    "updated_at",
                    *sla.SLA_FIELDS,
                ]
            )

    def seed_awaiting_survey(
        self, rng: random.Random, services: dict[str, Service], requesters: list[User]
    ) -> None:
        """A few tickets resolved a little over an hour ago: past the survey delay, not yet
        invited, so the survey beat of `make run` emails their requesters within minutes."""
        now = timezone.now()
        for offset, requester in enumerate(requesters):
            service = list(services.values())[offset % len(services)]
            assignee = service.owner_team.members.order_by("pk").first() or service.owner_team.lead
            assert assignee is not None  # nosec B101 - every demo team has members and a lead
            subject = rng.choice(SUBJECTS[service.name])
            created = now - timedelta(days=1, minutes=17 * offset)
            resolved = now - timedelta(minutes=65 + 9 * offset)
            ticket = Ticket.objects.create(
                subject=subject,
                description=f"Hello,\n\n{subject}. {rng.choice(DETAILS)}\n\nThanks",
                requester=requester,
                service=service,
                team=service.owner_team,
                assignee=assignee,
                status=Ticket.Status.RESOLVED,
                created_at=created,
                updated_at=resolved,
                first_responded_at=created + timedelta(minutes=40),
                resolved_at=resolved,
            )
            Comment.objects.create(
                ticket=ticket, author=assignee, body=REPLIES[-1], created_at=resolved
            )
            TicketEvent.objects.bulk_create(
                [
                    TicketEvent(ticket=ticket, actor=requester, kind=TicketEvent.Kind.CREATED,
                                after={"status": "new"}, created_at=created),
                    TicketEvent(ticket=ticket, actor=assignee, kind=TicketEvent.Kind.STATUS_CHANGED,
                                before={"status": "open"}, after={"status": "resolved"},
                                created_at=resolved),
                ]
            )  # fmt: skip
            self.run_clock(
                ticket, status=Ticket.Status.RESOLVED, last=resolved, requester_wrote=None
            )
            ticket.save(update_fields=list(sla.SLA_FIELDS))

    def run_clock(
        self, ticket: Ticket, *, status: str, last: datetime, requester_wrote: datetime | None
    ) -> None:
        """Replay the SLA clock through the ticket's seeded life, with the events it writes."""
        steps = [(ticket.created_at, lambda: sla.start(ticket, now=ticket.created_at))]
        if ticket.first_responded_at:
            steps.append(
                (
                    ticket.first_responded_at,
                    lambda: sla.record_response(
                        ticket, now=cast(datetime, ticket.first_responded_at)
                    ),
                )
            )
        if requester_wrote:
            steps.append((requester_wrote, lambda: sla.owe_update(ticket, now=requester_wrote)))
        if status == Ticket.Status.PENDING:
            steps.append((last, lambda: sla.pause(ticket, now=last)))
        elif status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
            # A seeded resolved or closed ticket has its resolution time.
            steps.append(
                (
                    cast(datetime, ticket.resolved_at),
                    lambda: sla.stop(ticket, now=cast(datetime, ticket.resolved_at), resolved=True),
                )
            )
        elif status == Ticket.Status.CANCELLED:
            steps.append((last, lambda: sla.stop(ticket, now=last, resolved=False)))
        for moment, step in steps:
            record_clock_events(ticket, step(), by=None, now=moment)
