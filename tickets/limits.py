"""How many tickets one person may log: a few fixed windows counted in the shared cache."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from servicedesk.versions import CACHE_ERRORS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryAfter:
    """How long the person waits before the next ticket is accepted."""

    seconds: int

    @property
    def minutes(self) -> int:
        return math.ceil(self.seconds / 60)


class SubmissionLimitReached(Exception):
    """The person has logged as many tickets as a window allows; nothing was created."""

    def __init__(self, retry_after: RetryAfter) -> None:
        self.retry_after = retry_after
        super().__init__(
            "You have sent a lot of tickets in a short time. "
            f"Please try again in {retry_after.minutes} minute{'s' if retry_after.minutes != 1 else ''}."
        )


def allow_submission(user: User, *, now: datetime) -> RetryAfter | None:
    """Count one submission by `user`; None when it is allowed, else how long to wait.

    Each window (TICKET_SUBMISSION_LIMITS: pairs of count and seconds) is a counter per
    person and window start, created with `add` and raised with `incr`, both atomic on
    Redis, so two web processes never both slip in under the limit. The shorter windows
    come first: a submission refused there is not counted against the longer ones.
    """
    try:
        return _count(user, now=now)
    except CACHE_ERRORS as error:
        # The counters live in the shared cache; without it, people can still get help.
        logger.warning("Submission limit not checked: cache unavailable (%s)", error)
        return None


def _count(user: User, *, now: datetime) -> RetryAfter | None:
    timestamp = now.timestamp()
    for limit, seconds in settings.TICKET_SUBMISSION_LIMITS:
        if limit <= 0:
            continue
        start = int(timestamp // seconds) * seconds
        key = f"ticket-submissions:{user.pk}:{seconds}:{start}"
        # Kept a little past its window so a slow request still finds its counter.
        cache.add(key, 0, timeout=seconds + 60)
        try:
            count = cache.incr(key)
        except ValueError:
            # The counter expired between add and incr: this submission starts it again.
            cache.add(key, 1, timeout=seconds + 60)
            count = 1
        if count > limit:
            return RetryAfter(seconds=max(1, math.ceil(start + seconds - timestamp)))
    return None
