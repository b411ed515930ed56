"""Writing the demo's articles: tags, services, revisions, edits, synonyms, the editor."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from knowledge.models import Article, Revision, SynonymGroup, Tag
from tickets.models import Service, Ticket

from .files import ArticleSpec, EditSpec

# The agent who is a knowledge editor in the demo: she may publish without review.
EDITOR = "Chloe Martin"


class DemoDataMissing(Exception):
    """The ticket demo (people, services, tickets) is not loaded."""


class ArticleWriter:
    """Writes the articles, their tags and services, and their revisions."""

    def __init__(self, rng: random.Random, *, now: datetime, specs: list[ArticleSpec]) -> None:
        self.rng = rng
        self.now = now
        self.specs = specs
        names = {spec.owner for spec in specs} | {EDITOR}
        self.people = {user.full_name: user for user in User.objects.filter(full_name__in=names)}
        self.services = {
            service.name: service for service in Service.objects.select_related("owner_team__lead")
        }
        wanted = {name for spec in specs for name in spec.services}
        if names - set(self.people) or wanted - set(self.services):
            raise DemoDataMissing(
                "The knowledge demo needs the ticket demo's people and services: "
                "run `manage.py seed_demo` first."
            )

    def write(self) -> dict[str, Article]:
        tags = self._tags()
        articles: dict[str, Article] = {}
        for spec in self.specs:
            article = self._article(spec)
            article.tags.set([tags[name] for name in spec.tags])
            article.services.set([self.services[name] for name in spec.services])
            articles[spec.slug] = article
        return articles

    def write_edits(self, edits: list[EditSpec], articles: dict[str, Article]) -> int:
        """The edits on top of published articles; returns every revision written."""
        for edit in edits:
            article = articles[edit.slug]
            created = self._at_work(self.now - timedelta(days=edit.age_days))
            reviewed = edit.state == Revision.State.REJECTED
            Revision.objects.create(
                article=article,
                title=edit.title or article.title,
                summary=edit.summary or article.summary,
                body=edit.body,
                author=self._person(edit.author),
                comment=edit.comment,
                state=edit.state,
                based_on=article.current_revision,
                reviewed_by=self._person(edit.reviewer) if reviewed else None,
                reviewed_at=min(created + timedelta(hours=20), self.now) if reviewed else None,
                review_note=edit.review_note,
                created_at=created,
            )
        return Revision.objects.filter(article__in=articles.values()).count()

    def _tags(self) -> dict[str, Tag]:
        names = sorted({name for spec in self.specs for name in spec.tags})
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
        Tag.objects.bulk_create([Tag(name=name) for name in names if name not in existing])
        return {tag.name: tag for tag in Tag.objects.filter(name__in=names)}

    def _article(self, spec: ArticleSpec) -> Article:
        owner = self.people[spec.owner]
        created = self._created(spec)
        never_published = spec.status in (Article.Status.DRAFT, Article.Status.IN_REVIEW)
        published = None if never_published else created + timedelta(hours=self.rng.randint(2, 30))
        retired = None
        if spec.retired_days_ago is not None:
            retired = self._at_work(self.now - timedelta(days=spec.retired_days_ago))
        article = Article.objects.create(
            slug=spec.slug,
            title=spec.title,
            summary=spec.summary,
            body=spec.body,
            audience=spec.audience,
            status=spec.status,
            owner=owner,
            review_by=None
            if spec.review_in_days is None
            else timezone.localdate(self.now) + timedelta(days=spec.review_in_days),
            created_at=created,
            updated_at=created,
            published_at=published,
            retired_at=retired,
        )
        states: dict[str, str] = {
            Article.Status.DRAFT: Revision.State.DRAFT,
            Article.Status.IN_REVIEW: Revision.State.IN_REVIEW,
        }
        state = states.get(spec.status, Revision.State.APPROVED)
        revision = self._revision(
            article,
            spec,
            body=spec.first_body,
            author=owner,
            created=created,
            reviewed=published,
            state=state,
            comment=self._first_comment(spec),
        )
        if spec.history and published:
            edited = self._at_work(self.now - timedelta(days=spec.history.days_ago))
            edited = max(edited, published + timedelta(days=1))
            revision = self._revision(
                article,
                spec,
                body=spec.body,
                author=self._editor_of(spec),
                created=edited,
                reviewed=edited + timedelta(hours=self.rng.randint(1, 20)),
                state=Revision.State.APPROVED,
                comment=spec.history.comment,
                based_on=revision,
            )
        article.current_revision = revision
        article.updated_at = retired or revision.reviewed_at or revision.created_at
        article.save(update_fields=["current_revision", "updated_at"])
        return article

    def _revision(
        self,
        article: Article,
        spec: ArticleSpec,
        *,
        body: str,
        author: User,
        created: datetime,
        reviewed: datetime | None,
        state: str,
        comment: str,
        based_on: Revision | None = None,
    ) -> Revision:
        approved = state == Revision.State.APPROVED
        return Revision.objects.create(
            article=article,
            title=spec.title,
            summary=spec.summary,
            body=body,
            author=author,
            comment=comment,
            state=state,
            based_on=based_on,
            reviewed_by=self._reviewer(spec, author) if approved else None,
            reviewed_at=reviewed if approved else None,
            created_at=created,
        )

    def _created(self, spec: ArticleSpec) -> datetime:
        if spec.written_from:
            ticket = written_from(spec.written_from)
            if ticket is not None and ticket.resolved_at is not None:
                return min(ticket.resolved_at + timedelta(hours=3), self.now - timedelta(hours=1))
        return self._at_work(self.now - timedelta(days=spec.age_days))

    def _first_comment(self, spec: ArticleSpec) -> str:
        if spec.written_from:
            return "Written from a ticket: the steps that solved it."
        if spec.status == Article.Status.IN_REVIEW:
            return "New article, ready for review."
        return "First version."

    def _editor_of(self, spec: ArticleSpec) -> User:
        """Who made the later edit: someone in the team that owns the article's service."""
        team = self.services[spec.services[0]].owner_team
        members = sorted(team.members.filter(role=User.Role.AGENT), key=lambda user: user.pk)
        return self.rng.choice(members) if members else self.people[spec.owner]

    def _reviewer(self, spec: ArticleSpec, author: User) -> User:
        """Editors and managers publish their own text; other agents' is approved by a lead."""
        if author.is_manager or author.full_name == EDITOR:
            return author
        lead = self.services[spec.services[0]].owner_team.lead
        return lead or self.people[EDITOR]

    def _person(self, name: str) -> User:
        if name not in self.people:
            self.people[name] = User.objects.get(full_name=name)
        return self.people[name]

    def _at_work(self, moment: datetime) -> datetime:
        """The same day at a working hour (London), never after the load."""
        local = timezone.localtime(moment)
        hour, minute = self.rng.randint(9, 16), self.rng.randint(0, 59)
        return min(local.replace(hour=hour, minute=minute, second=0, microsecond=0), self.now)


def written_from(subject: str) -> Ticket | None:
    """The newest resolved demo ticket with this subject (an article written from it)."""
    return (
        Ticket.objects.filter(subject=subject, resolved_at__isnull=False, assignee__isnull=False)
        .order_by("-resolved_at", "-pk")
        .first()
    )


def add_synonyms(groups: list[str]) -> None:
    existing = {frozenset(group.word_list) for group in SynonymGroup.objects.all()}
    SynonymGroup.objects.bulk_create(
        [
            SynonymGroup(words=words)
            for words in groups
            if frozenset(SynonymGroup(words=words).word_list) not in existing
        ]
    )


def make_editor(agent: User) -> None:
    agent.user_permissions.add(
        Permission.objects.get(content_type__app_label="knowledge", codename="publish_article")
    )
