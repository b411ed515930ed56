"""The knowledge list's filters: status, service, audience, needing review, mine, words."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from knowledge import services
from knowledge.models import Article, ArticleQuerySet, Revision

from .filters import ListFilter, SortFilter, Sorts, search_filter, select, service_filter

SORTS: Sorts = {
    "updated": ("Recently updated", ("-updated_at", "-pk")),
    "title": ("Title", ("title", "pk")),
    "views": ("Most viewed", ("-view_count", "-pk")),
    "helpful": ("Most helpful", ("-helpful_count", "-pk")),
    "review": ("Review date", ("review_by", "pk")),
}


class ArticleFilter(ListFilter[ArticleQuerySet]):
    q = search_filter(placeholder="Words in the title")
    status = django_filters.ChoiceFilter(
        choices=Article.Status.choices, empty_label="Any status", widget=select()
    )
    service = service_filter(field_name="services")
    audience = django_filters.ChoiceFilter(
        choices=Article.Audience.choices, empty_label="Any audience", widget=select()
    )
    review = django_filters.ChoiceFilter(
        label="Review",
        method="filter_review",
        choices=[("due", "Needs review"), ("waiting", "Edit in review")],
        empty_label="Any",
        widget=select(),
    )
    mine = django_filters.BooleanFilter(
        label="Mine only",
        method="filter_mine",
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    sort = SortFilter(SORTS)

    class Meta:
        model = Article
        fields = ["q", "status", "service", "audience", "review", "mine", "sort"]

    def filter_search(self, queryset: ArticleQuerySet, name: str, value: str) -> ArticleQuerySet:
        for word in value.split()[:8]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(slug__icontains=word))
        return queryset

    def filter_review(self, queryset: ArticleQuerySet, name: str, value: str) -> ArticleQuerySet:
        if value == "due":
            return queryset.filter(services.needs_review(timezone.localdate()))
        if value == "waiting":
            waiting = Revision.objects.filter(
                article=OuterRef("pk"), state=Revision.State.IN_REVIEW
            )
            return queryset.filter(Exists(waiting))
        return queryset

    def filter_mine(self, queryset: ArticleQuerySet, name: str, value: bool) -> ArticleQuerySet:
        if not value:
            return queryset
        written = Revision.objects.filter(article=OuterRef("pk"), author=self.user)
        return queryset.filter(Q(owner=self.user) | Exists(written))
