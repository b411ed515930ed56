import factory
from django.urls import reverse
from factory.django import DjangoModelFactory

from accounts.models import Department, Team, User
from knowledge.models import Article
from tickets.models import Comment, Level, Service, Ticket, priority_for


class DepartmentFactory(DjangoModelFactory[Department]):
    class Meta:
        model = Department
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Department {n}")


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    role = User.Role.END_USER
    department = factory.SubFactory(DepartmentFactory)
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(DjangoModelFactory[Team]):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create: bool, extracted: list[User] | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.set(extracted)


class ServiceFactory(DjangoModelFactory[Service]):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    owner_team = factory.SubFactory(TeamFactory)


class TicketFactory(DjangoModelFactory[Ticket]):
    class Meta:
        model = Ticket

    subject = factory.Sequence(lambda n: f"Printer on floor {n} is jammed")
    description = "It jams on every job."
    requester = factory.SubFactory(UserFactory)
    service = factory.SubFactory(ServiceFactory)
    team = factory.LazyAttribute(lambda t: t.service.owner_team)
    impact = Level.MEDIUM
    urgency = Level.MEDIUM
    priority = factory.LazyAttribute(lambda t: priority_for(t.impact, t.urgency))


class CommentFactory(DjangoModelFactory[Comment]):
    class Meta:
        model = Comment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda c: c.ticket.requester)
    body = "Any news?"


class ArticleFactory(DjangoModelFactory[Article]):
    """A published article for everyone, unless a test says otherwise."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"How to fix problem {n}")
    slug = factory.Sequence(lambda n: f"how-to-fix-problem-{n}")
    summary = "The steps that fix it."
    body = "1. Open the app.\n2. Do the thing."
    owner = factory.SubFactory(UserFactory, role=User.Role.AGENT)
    status = Article.Status.PUBLISHED
    audience = Article.Audience.EVERYONE

    @factory.post_generation
    def services(self, create: bool, extracted: list[Service] | None, **kwargs: object) -> None:
        if create and extracted:
            self.services.set(extracted)


def portal_url(ticket: Ticket) -> str:
    """The requester's page of a ticket (the domain model names no audience's pages)."""
    return reverse("portal:ticket-detail", args=[ticket.pk])


def workspace_url(ticket: Ticket) -> str:
    """The agent's page of a ticket."""
    return reverse("workspace:ticket-detail", args=[ticket.pk])
