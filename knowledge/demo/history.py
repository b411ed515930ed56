"""A few weeks of readers for the demo's knowledge base.

Played forward from the articles and the ticket demo's people and tickets: searches in the
portal, in the submit form's suggestions and by agents (some finding nothing, some followed by
a ticket within half an hour, some that solved the problem), the articles people opened or
browsed to, their votes with what was missing, deflections, and agents' links from tickets to
the articles that answer them. The counters on each article are set from the rows written,
so they agree with what reports count.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from knowledge.models import Article, Deflection, Feedback, SearchLog, TicketLink
from knowledge.search import normalise
from tickets.models import Service, Ticket

from .files import ArticleSpec, Searches
from .links import published_at, ticket_links

WEEKS = 4
# A ticket this soon after a search followed it (as `searchlog.record_ticket` counts it).
TICKET_FOLLOWS_WITHIN = timedelta(minutes=30)
SEARCHES = 420  # settled searches by end users that an article answered
AGENT_SEARCHES = 80
SEARCH_BEFORE_TICKET = 0.45  # share of recent tickets whose requester searched first
VOTE = 0.35  # share of readers who answer "Did this solve your problem?"


@dataclass(frozen=True)
class Played:
    searches: int
    votes: int
    deflections: int
    ticket_links: int


def play(
    rng: random.Random,
    *,
    now: datetime,
    specs: list[ArticleSpec],
    articles: dict[str, Article],
    searches: Searches,
) -> Played:
    """Write the readers' history as of `now` and set the articles' counters from it."""
    history = _History(rng, now=now, specs=specs, articles=articles)
    history.ticket_searches(searches.ticket_gaps)
    history.answered_searches()
    history.gap_searches(searches.gaps)
    history.agent_searches()
    history.browsing()
    history.missing_said()
    return history.save(links=ticket_links(rng, now=now, specs=specs, articles=articles))


class _History:
    def __init__(
        self,
        rng: random.Random,
        *,
        now: datetime,
        specs: list[ArticleSpec],
        articles: dict[str, Article],
    ) -> None:
        self.rng = rng
        self.now = now
        self.start = now - timedelta(weeks=WEEKS)
        self.specs = {spec.slug: spec for spec in specs}
        self.articles = articles
        self.services = {service.name: service for service in Service.objects.all()}
        self.end_users = list(
            User.objects.filter(role=User.Role.END_USER, is_active=True).order_by("pk")
        )
        self.staff = list(
            User.objects.filter(
                role__in=[User.Role.AGENT, User.Role.MANAGER], is_active=True
            ).order_by("pk")
        )
        self.tickets_of: dict[int, list[datetime]] = defaultdict(list)
        for requester, created in Ticket.objects.order_by("created_at").values_list(
            "requester", "created_at"
        ):
            self.tickets_of[requester].append(created)
        self.published = [
            spec for spec in specs if spec.status == Article.Status.PUBLISHED and spec.queries
        ]
        self.answering = {subject: spec for spec in self.published for subject in spec.answers}
        self.missing = {spec.slug: list(spec.missing) for spec in specs}
        self.logs: list[SearchLog] = []
        self.votes: dict[tuple[int, int], Feedback] = {}
        self.views: Counter[int] = Counter()
        # Deflections wait for their search rows to have ids.
        self.deflections: list[tuple[Deflection, SearchLog | None]] = []

    # Searches

    def ticket_searches(self, ticket_gaps: dict[str, tuple[str, ...]]) -> None:
        """People who searched, found nothing that helped, and logged a ticket anyway."""
        recent = (
            Ticket.objects.filter(created_at__gte=self.start, requester__role=User.Role.END_USER)
            .select_related("requester", "service")
            .order_by("pk")
        )
        for ticket in recent:
            spec = self.answering.get(ticket.subject)
            if spec is None or self.rng.random() > SEARCH_BEFORE_TICKET:
                continue
            article = self.articles[spec.slug]
            at = ticket.created_at - timedelta(minutes=self.rng.randint(2, 25))
            if at < self.start or not published_at(article, at):
                continue
            suggestion = self.rng.random() < 0.65
            gap_queries = ticket_gaps.get(ticket.subject, ())
            if gap_queries and self.rng.random() < 0.4:
                self._search(
                    ticket.requester,
                    self.rng.choice(gap_queries),
                    at=at,
                    suggestion=suggestion,
                    service=ticket.service,
                    ticket=ticket,
                )
                continue
            log = self._search(
                ticket.requester,
                self.rng.choice(spec.queries),
                at=at,
                suggestion=suggestion,
                service=ticket.service,
                ticket=ticket,
                found=article,
            )
            if self.rng.random() < 0.5:
                # Read it, and it was not enough: less often a Yes from these readers.
                self._open(log, ticket.requester, article, helpfulness=spec.helpfulness / 2)

    def answered_searches(self) -> None:
        """Searches an article answered: opened, often voted on, sometimes solving it."""
        candidates = [spec for spec in self.published if spec.audience == Article.Audience.EVERYONE]
        weights = [spec.popularity**2 for spec in candidates]
        for _ in range(SEARCHES):
            spec = self.rng.choices(candidates, weights)[0]
            article = self.articles[spec.slug]
            user = self.rng.choice(self.end_users)
            at = self._moment_without_ticket(user, since=article.published_at)
            if at is None:
                continue
            suggestion = self.rng.random() < 0.45
            service = (
                self.services[spec.services[0]] if suggestion and self.rng.random() < 0.7 else None
            )
            log = self._search(
                user,
                self.rng.choice(spec.queries),
                at=at,
                suggestion=suggestion,
                service=service,
                found=article,
            )
            if self.rng.random() > 0.7:
                continue
            opened = self._open(log, user, article, helpfulness=spec.helpfulness)
            if suggestion and self.rng.random() < spec.helpfulness * 0.7:
                # "This solved it" on the submit form: no ticket.
                log.solved = True
                self._deflect(
                    user,
                    article,
                    log,
                    kind=Deflection.Kind.SOLVED,
                    at=opened + timedelta(minutes=self.rng.randint(1, 4)),
                )
            elif (
                not suggestion
                and self.rng.random() < 0.3
                and not self._ticket_follows(user, opened)
            ):
                self._deflect(
                    user,
                    article,
                    log,
                    kind=Deflection.Kind.NO_TICKET,
                    at=opened + TICKET_FOLLOWS_WITHIN,
                )

    def gap_searches(self, gaps: tuple[tuple[tuple[str, ...], int], ...]) -> None:
        """What people asked that no article answers: no results."""
        for queries, weight in gaps:
            for _ in range(weight):
                user = self.rng.choice(self.end_users)
                at = self._moment_without_ticket(user)
                if at is not None:
                    self._search(
                        user, self.rng.choice(queries), at=at, suggestion=self.rng.random() < 0.4
                    )

    def agent_searches(self) -> None:
        """Agents looking up a runbook or an article to send while working a ticket."""
        weights = [
            spec.popularity * (3 if spec.audience == Article.Audience.AGENTS else 1)
            for spec in self.published
        ]
        for _ in range(AGENT_SEARCHES):
            spec = self.rng.choices(self.published, weights)[0]
            article = self.articles[spec.slug]
            user = self.rng.choice(self.staff)
            at = self._moment(since=max(self.start, article.published_at or self.now))
            if at is None:
                continue
            log = self._search(
                user,
                self.rng.choice(spec.queries),
                at=at,
                source=SearchLog.Source.WORKSPACE,
                found=article,
            )
            if self.rng.random() < 0.6:
                self._open(log, user, article, helpfulness=spec.helpfulness, vote=VOTE / 2)

    # Reading without a search

    def browsing(self) -> None:
        """Readers who came from the knowledge home, a link in a reply, or a bookmark."""
        for spec in self.specs.values():
            article = self.articles[spec.slug]
            if article.published_at is None:
                continue
            readers = self.staff if spec.audience == Article.Audience.AGENTS else self.end_users
            until = article.retired_at or self.now
            since = max(article.published_at, until - timedelta(weeks=4 * WEEKS))
            for _ in range(self.rng.randint(spec.popularity * 3, spec.popularity * 10)):
                user = self.rng.choice(readers)
                at = self._moment(since=since, until=until)
                if at is None:
                    continue
                self._read(user, article, at=at, helpfulness=spec.helpfulness)
                no_ticket = (
                    not self._ticket_follows(user, at) and at + TICKET_FOLLOWS_WITHIN < until
                )
                if readers is self.end_users and no_ticket and self.rng.random() < 0.05:
                    self._deflect(
                        user,
                        article,
                        None,
                        kind=Deflection.Kind.NO_TICKET,
                        at=at + TICKET_FOLLOWS_WITHIN,
                    )

    def missing_said(self) -> None:
        """Every "what was missing" of the data files is said by some reader who voted No."""
        for slug, comments in self.missing.items():
            article = self.articles[slug]
            if article.published_at is None:
                continue
            spec = self.specs[slug]
            readers = self.staff if spec.audience == Article.Audience.AGENTS else self.end_users
            for user in self.rng.sample(readers, len(readers)):
                if not comments:
                    break
                if (article.pk, user.pk) in self.votes:
                    continue
                at = self._moment(since=article.published_at, until=article.retired_at or self.now)
                if at is not None:
                    self._read(user, article, at=at, helpfulness=0.0, vote=1.0, say_missing=1.0)

    # Writing

    def save(self, *, links: list[TicketLink]) -> Played:
        SearchLog.objects.bulk_create(self.logs)
        deflections = []
        for deflection, log in self.deflections:
            deflection.search = log
            deflections.append(deflection)
        Deflection.objects.bulk_create(deflections)
        Feedback.objects.bulk_create(self.votes.values())
        TicketLink.objects.bulk_create(links)
        helpful: Counter[int] = Counter()
        unhelpful: Counter[int] = Counter()
        for vote in self.votes.values():
            (helpful if vote.helpful else unhelpful)[vote.article_id] += 1
        for article in self.articles.values():
            article.view_count = self.views[article.pk]
            article.helpful_count = helpful[article.pk]
            article.unhelpful_count = unhelpful[article.pk]
        Article.objects.bulk_update(
            self.articles.values(), ["view_count", "helpful_count", "unhelpful_count"]
        )
        return Played(
            searches=len(self.logs),
            votes=len(self.votes),
            deflections=len(deflections),
            ticket_links=len(links),
        )

    def _search(
        self,
        user: User,
        query: str,
        *,
        at: datetime,
        suggestion: bool = False,
        source: str = SearchLog.Source.PORTAL,
        service: Service | None = None,
        ticket: Ticket | None = None,
        found: Article | None = None,
    ) -> SearchLog:
        if suggestion:
            source = SearchLog.Source.SUGGESTION
        # A settled suggestion shows up to five articles; a search page ten.
        most = 5 if suggestion else 10
        log = SearchLog(
            user=user,
            query=query,
            normalised=normalise(query),
            box=f"{self.rng.getrandbits(64):016x}" if suggestion else "",
            source=source,
            service=service,
            results_count=self.rng.randint(1, most) if found else 0,
            ticket=ticket,
            created_at=at,
        )
        self.logs.append(log)
        return log

    def _open(
        self,
        log: SearchLog,
        user: User,
        article: Article,
        *,
        helpfulness: float,
        vote: float = VOTE,
    ) -> datetime:
        """The person opened a result of their search; returns when."""
        opened = log.created_at + timedelta(seconds=self.rng.randint(4, 50))
        log.opened_article, log.opened_at = article, opened
        self._read(user, article, at=opened, helpfulness=helpfulness, vote=vote)
        return opened

    def _read(
        self,
        user: User,
        article: Article,
        *,
        at: datetime,
        helpfulness: float,
        vote: float = VOTE,
        say_missing: float = 0.8,
    ) -> None:
        self.views[article.pk] += 1
        if (article.pk, user.pk) in self.votes or self.rng.random() >= vote:
            return
        helpful = self.rng.random() < helpfulness
        missing = self.missing[article.slug]
        says = not helpful and missing and self.rng.random() < say_missing
        comment = missing.pop(0) if says else ""
        voted = min(at + timedelta(minutes=self.rng.randint(1, 6)), self.now)
        self.votes[(article.pk, user.pk)] = Feedback(
            article=article,
            user=user,
            helpful=helpful,
            comment=comment,
            created_at=voted,
            updated_at=voted,
        )

    def _deflect(
        self, user: User, article: Article, log: SearchLog | None, *, kind: str, at: datetime
    ) -> None:
        if at > self.now:
            return
        service = log.service if log is not None and log.service else None
        if service is None:
            service = self.services[self.specs[article.slug].services[0]]
        self.deflections.append(
            (Deflection(user=user, article=article, service=service, kind=kind, created_at=at), log)
        )

    # Time

    def _moment(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> datetime | None:
        """A moment in working hours (London, weekdays, 8:00 to 18:00) between the two.

        From the start of the weeks played and until a few minutes ago, unless told otherwise.
        """
        start = since or self.start
        end = min(until or self.now, self.now) - timedelta(minutes=5)
        if end <= start:
            return None
        moment = start
        for _ in range(20):
            moment = start + (end - start) * self.rng.random()
            local = timezone.localtime(moment)
            if local.weekday() < 5 and 8 <= local.hour < 18:
                break
        return moment

    def _moment_without_ticket(
        self, user: User, *, since: datetime | None = None
    ) -> datetime | None:
        """A moment after which the person logged no ticket within half an hour."""
        for _ in range(5):
            at = self._moment(since=max(since or self.start, self.start))
            if at is not None and not self._ticket_follows(user, at):
                return at
        return None

    def _ticket_follows(self, user: User, at: datetime) -> bool:
        times = self.tickets_of.get(user.pk, [])
        index = bisect.bisect_right(times, at)
        return index < len(times) and times[index] <= at + TICKET_FOLLOWS_WITHIN
