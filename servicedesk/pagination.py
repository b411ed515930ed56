"""Pagination that never counts a million rows."""

from functools import cached_property

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    """Counts at most `cap` rows; beyond that the page shows "more than 1,000" and stops there.

    COUNT(*) over a large filtered set (all closed tickets, say) costs more than the
    page itself; nobody pages through ten thousand tickets, they filter or search.
    """

    cap = 1_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap
