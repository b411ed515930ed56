from collections.abc import Callable
from typing import cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from servicedesk import versions
from servicedesk.admin import ReadOnlyAdmin, VersionedAdmin

from . import services
from .models import Article, Revision, SynonymGroup, Tag


@admin.register(SynonymGroup)
class SynonymGroupAdmin(VersionedAdmin):
    """The words searchers use for the same thing; search widens a query with its group.

    Every process keeps a copy of the groups (knowledge/querying.py): saves and deletes bump
    its version, so the next search everywhere uses the new words.
    """

    list_display = ["words", "updated_at"]
    search_fields = ["words"]
    versions_bumped = (versions.SYNONYMS,)


@admin.register(Tag)
class TagAdmin(VersionedAdmin):
    """Tags' names are searched with the articles: a rename or delete makes searches weigh
    and rank afresh (knowledge/search_cache.py)."""

    search_fields = ["name"]
    versions_bumped = (versions.ARTICLES,)


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    """For looking an article up; it is written in the workspace's editor, with its revisions
    and review. Publishing and retiring here go through the same services."""

    list_display = ["title", "status", "audience", "owner", "review_by", "updated_at", "editor"]
    list_filter = ["status", "audience", "services"]
    list_select_related = ["owner"]
    search_fields = ["title", "slug"]
    readonly_fields = ["editor"]
    actions = ["publish", "retire"]

    @admin.display(description="Edit")
    def editor(self, article: Article) -> str:
        href = reverse("workspace:article-edit", args=[article.pk])
        return format_html('<a href="{}">Open in the editor</a>', href)

    @admin.action(description="Publish the selected articles")
    def publish(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(request, queryset, services.publish_article, "published")

    @admin.action(description="Retire the selected articles")
    def retire(self, request: HttpRequest, queryset: QuerySet[Article]) -> None:
        self._each(request, queryset, services.retire_article, "retired")

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Article],
        action: Callable[..., Article],
        done: str,
    ) -> None:
        count = 0
        for article in queryset:
            try:
                action(article, by=cast(User, request.user))
            except ValidationError as error:
                self.message_user(
                    request, f"{article}: {' '.join(error.messages)}", messages.WARNING
                )
            except PermissionDenied as error:
                self.message_user(request, f"{article}: {error}", messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} article(s) {done}.")


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdmin):
    """Revisions are saved by the editor and reviewed in its queue; here they are only read."""

    list_display = ["article", "state", "author", "created_at", "reviewed_by"]
    list_filter = ["state"]
    list_select_related = ["article", "author", "reviewed_by"]
    search_fields = ["title", "article__title"]
    raw_id_fields = ["article", "based_on"]
