"""Pagination that never counts a million rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass
class BoundedPage:
    """One page of a list, found without COUNT(*): it reads one row more than it shows.

    Counting a large filtered set (all closed tickets, say) costs more than the page
    itself, and nobody pages through thousands of tickets: they filter or search. So a
    page knows whether there is a next one, not how many there are.
    """

    object_list: Sequence[Any]
    number: int
    per_page: int
    has_next: bool

    @classmethod
    def of(cls, queryset: QuerySet, *, number: str | int | None, per_page: int) -> BoundedPage:
        try:
            page = max(1, min(int(number or 1), 10_000))
        except (TypeError, ValueError):
            page = 1
        start = (page - 1) * per_page
        rows = list(queryset[start : start + per_page + 1])
        return cls(
            object_list=rows[:per_page],
            number=page,
            per_page=per_page,
            has_next=len(rows) > per_page,
        )

    def __iter__(self) -> Iterator[Any]:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.per_page + len(self.object_list)
