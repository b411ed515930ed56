"""Knowledge: articles and their revisions, and what readers did with them.

An article's own title, summary and body are the text readers see. Every saved edit is a
`Revision`; an edit that needs review waits as a revision "in review" while the article
keeps its published text, and approving it copies the revision onto the article.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from tickets.models import Service, Ticket


class Tag(models.Model):
    """A word agents file articles under ("vpn", "outlook"), also matched by search."""

    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SynonymGroup(models.Model):
    """Words that mean the same to the people who search ("wifi, wireless, wlan").

    Kept by admins; a query that contains one of the words also looks for the others.
    """

    words = models.CharField(
        max_length=300, help_text="Comma-separated words or short phrases that mean the same."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["words"]

    def __str__(self) -> str:
        return self.words

    @property
    def word_list(self) -> list[str]:
        return [word.strip().lower() for word in self.words.split(",") if word.strip()]


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, user: User) -> ArticleQuerySet:
        """The only road to articles.

        End users see published articles for everyone, and nothing else: not drafts, not
        articles in review or retired, not agents-only ones. Staff see every article (they
        write them, and agents-only articles are theirs).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_staff_member:
            return self.all()
        return self.published().filter(audience=Article.Audience.EVERYONE)

    def published(self) -> ArticleQuerySet:
        return self.filter(status=Article.Status.PUBLISHED)

    def for_readers(self, user: User) -> ArticleQuerySet:
        """What a person reads in the portal or finds by search: published articles only.

        Staff also read agents-only articles; drafts and retired ones stay in the editor.
        """
        return self.visible_to(user).published()


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Everyone"
        AGENTS = "agents", "Agents only"

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown.")
    video_url = models.URLField(blank=True, help_text="A short video showing the steps.")
    services = models.ManyToManyField(Service, blank=True, related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.EVERYONE)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    owner = models.ForeignKey(User, on_delete=models.PROTECT, related_name="owned_articles")
    review_by = models.DateField(null=True, blank=True)
    # The revision whose text the article shows; the newest revision may be newer (in review).
    current_revision = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Counters kept by the services, so lists and rankings never count rows per article.
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    unhelpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        permissions = [
            ("publish_article", "Can publish, retire and approve knowledge articles"),
        ]
        indexes = [
            models.Index(
                fields=["audience", "-helpful_count"],
                condition=Q(status="published"),
                name="article_published_useful",
            ),
            models.Index(fields=["status", "review_by"], name="article_status_review"),
            models.Index(
                fields=["-view_count"],
                condition=Q(status="published"),
                name="article_published_viewed",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def text_changed_at(self) -> datetime:
        """When the text readers see last changed: when its revision was approved (or, for
        text that needed no review, saved). Not `updated_at`, which filing and drafts of
        the next edit move too, nor `published_at`, the first publication."""
        revision = self.current_revision
        if revision is None:
            return self.updated_at
        return revision.reviewed_at or revision.created_at


class Revision(models.Model):
    """One saved edit of an article's text, with who made it, when and why."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    video_url = models.URLField(blank=True)
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    # The revision this one was edited from (or restored from), to show what changed.
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(state="in_review"), name="revision_in_review"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.title} ({self.created_at:%Y-%m-%d %H:%M})"


def article_image_name(instance: ArticleImage, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{timezone.now():%Y%m}/{filename}"


class ArticleImageQuerySet(models.QuerySet["ArticleImage"]):
    def visible_to(self, user: User) -> ArticleImageQuerySet:
        """A screenshot is seen by whoever may see its article: for end users, a published one."""
        return self.filter(article__in=Article.objects.visible_to(user))


class ArticleImage(models.Model):
    """A screenshot of one step, checked to be a real raster image when uploaded."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(upload_to=article_image_name)
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ArticleImageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.caption or self.file.name


class SearchLogQuerySet(models.QuerySet["SearchLog"]):
    def visible_to(self, user: User) -> SearchLogQuerySet:
        """What people searched for is for the staff who keep the knowledge base."""
        if user.is_authenticated and user.is_active and user.is_staff_member:
            return self.all()
        return self.none()


class SearchLog(models.Model):
    """One settled search: what was asked, what came back, and what the person did next.

    A suggestion box writes one row for the query a person settled on, not one per key.
    """

    class Source(models.TextChoices):
        PORTAL = "portal", "Portal search"
        SUGGESTION = "suggestion", "Suggestions while typing"
        WORKSPACE = "workspace", "Agent search"

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    query = models.CharField(max_length=200)
    normalised = models.CharField(max_length=200)
    # A suggestion box's own id: its requests update one row, the query it settled on.
    box = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.PORTAL)
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    results_count = models.PositiveIntegerField(default=0)
    opened_article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    # A ticket the same person submitted within 30 minutes of the search.
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    solved = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SearchLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="searchlog_created"),
            models.Index(fields=["user", "-created_at"], name="searchlog_user_recent"),
            models.Index(fields=["normalised", "created_at"], name="searchlog_normalised"),
            models.Index(fields=["user", "box"], condition=~Q(box=""), name="searchlog_box"),
            # The reports' windows: searches that found nothing, that a ticket followed anyway,
            # and that opened an article.
            models.Index(
                fields=["created_at", "normalised"],
                condition=Q(results_count=0),
                name="searchlog_found_nothing",
            ),
            models.Index(
                fields=["created_at", "normalised"],
                condition=Q(ticket__isnull=False),
                include=["ticket", "results_count"],
                name="searchlog_ticket_followed",
            ),
            models.Index(
                fields=["created_at", "opened_article"],
                condition=Q(opened_article__isnull=False),
                include=["service", "ticket", "solved"],
                name="searchlog_opened",
            ),
        ]
        constraints = [
            # A suggestion box keeps one row while the person types: two requests racing
            # from one box cannot both insert one (knowledge/searchlog.py).
            models.UniqueConstraint(
                fields=["user", "box"],
                condition=~Q(box="")
                & Q(opened_article__isnull=True, ticket__isnull=True, solved=False),
                name="searchlog_one_open_row_per_box",
            )
        ]

    def __str__(self) -> str:
        return f"{self.query!r} ({self.results_count})"


class FeedbackQuerySet(models.QuerySet["Feedback"]):
    def visible_to(self, user: User) -> FeedbackQuerySet:
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.all() if user.is_staff_member else self.filter(user=user)


class Feedback(models.Model):
    """A reader's answer to "Did this solve your problem?", and what was missing."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="one_vote_per_reader")
        ]
        indexes = [models.Index(fields=["created_at"], name="feedback_created")]

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class Deflection(models.Model):
    """A person who found their answer in an article and logged no ticket."""

    class Kind(models.TextChoices):
        SOLVED = "solved", "Said this solved it"
        NO_TICKET = "no_ticket", "Read an article, no ticket followed"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="deflections")
    search = models.ForeignKey(
        SearchLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SOLVED)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_at"], name="deflection_created")]

    def __str__(self) -> str:
        return f"{self.user_id} by {self.article_id}"


class TicketLinkQuerySet(models.QuerySet["TicketLink"]):
    def visible_to(self, user: User) -> TicketLinkQuerySet:
        """A link is seen by whoever sees both its ticket and its article."""
        return self.filter(
            ticket__in=Ticket.objects.visible_to(user),
            article__in=Article.objects.visible_to(user),
        )


class TicketLink(models.Model):
    """An article an agent linked to a ticket (it answered, or it came from, the ticket)."""

    class Relation(models.TextChoices):
        ANSWERS = "answers", "Answers the ticket"
        CREATED_FROM = "created_from", "Written from the ticket"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="article_links")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    relation = models.CharField(max_length=16, choices=Relation.choices, default=Relation.ANSWERS)
    linked_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = TicketLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "article"], name="one_link_per_ticket_article"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="ticketlink_created")]

    def __str__(self) -> str:
        return f"{self.ticket_id} - {self.article_id}"
