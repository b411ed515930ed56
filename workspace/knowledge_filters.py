"""The knowledge list's filters: status, service, audience, needing review, mine, words."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from knowledge import services
from knowledge.models import Article, ArticleQuerySet, Revision
from tickets.models import Service

from .filters import select

SORTS = {
    "updated": ("-updated_at", "-pk"),
    "title": ("title", "pk"),
    "views": ("-view_count", "-pk"),
    "helpful": ("-helpful_count", "-pk"),
    "review": ("review_by", "pk"),
}


class ArticleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_words",
        label="Search",
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "type": "search",
                "placeholder": "Words in the title",
            }
        ),
    )
    status = django_filters.ChoiceFilter(
        choices=Article.Status.choices, empty_label="Any status", widget=select()
    )
    service = django_filters.ModelChoiceFilter(
        field_name="services",
        label="Service",
        queryset=Service.objects.none(),
        empty_label="Any service",
        widget=select(),
    )
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
    sort = django_filters.ChoiceFilter(
        method="filter_sort",
        empty_label=None,
        label="Sort",
        choices=[
            ("updated", "Recently updated"),
            ("title", "Title"),
            ("views", "Most viewed"),
            ("helpful", "Most helpful"),
            ("review", "Review date"),
        ],
        widget=select(),
    )

    queryset: ArticleQuerySet

    class Meta:
        model = Article
        fields = ["q", "status", "service", "audience", "review", "mine", "sort"]

    def __init__(
        self,
        data: QueryDict | None = None,
        queryset: ArticleQuerySet | None = None,
        *,
        user: User,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        self.user = user
        service = cast(django_filters.ModelChoiceFilter, self.filters["service"])
        service.queryset = Service.objects.visible_to(user).only("name")

    @property
    def qs(self) -> ArticleQuerySet:
        if self.form.is_bound and not self.form.is_valid():
            return self.queryset.none()
        qs = cast(ArticleQuerySet, super().qs)
        data = self.form.cleaned_data if self.form.is_bound else {}
        return qs.order_by(*SORTS.get(data.get("sort") or "updated", SORTS["updated"]))

    def filter_words(self, queryset: ArticleQuerySet, name: str, value: str) -> ArticleQuerySet:
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

    def filter_sort(self, queryset: ArticleQuerySet, name: str, value: str) -> ArticleQuerySet:
        return queryset  # ordered in `qs`
