"""Business calendars and business-time arithmetic.

A calendar has a time zone, working intervals per weekday and dated holidays (or is
24x7). The two functions at the bottom are the whole arithmetic the SLA clock needs:
move a moment forward by N business minutes, and count the business minutes between
two moments. Both work in the calendar's local wall time, so a daylight-saving change
moves working hours with the clock on the wall, as people expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.db import models

from servicedesk import versions

MAX_DAYS = 3 * 366  # no target reaches further than this into the future


def validate_time_zone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value} is not a time zone name (such as Europe/London).")


class BusinessCalendar(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(
        max_length=64, default="Europe/London", validators=[validate_time_zone]
    )
    is_24x7 = models.BooleanField(
        "24x7", default=False, help_text="Every minute counts; hours and holidays are ignored."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def schedule(self) -> Schedule:
        """The calendar's rules, loaded once per instance, for fast arithmetic.

        One service call asks for it several times (count the minutes used, then the
        new due times); the hours and holidays are read from the database only once.
        """
        cached = getattr(self, "_schedule", None)
        if cached is None:
            cached = self._schedule = self._build_schedule()
        return cached

    def _build_schedule(self) -> Schedule:
        if self.is_24x7:
            return Schedule(tz=ZoneInfo(self.time_zone), always=True)
        days: dict[int, list[tuple[time, time]]] = {d: [] for d in range(7)}
        for interval in self.hours.all():
            days[interval.weekday].append((interval.start, interval.end))
        return Schedule(
            tz=ZoneInfo(self.time_zone),
            days={d: sorted(v) for d, v in days.items()},
            holidays=frozenset(holiday.date for holiday in self.holidays.all()),
        )


class WorkingHours(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValidationError(
                "An interval must end after it starts (split overnight shifts in two)."
            )


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_holiday_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


def find_overlaps(intervals: list[tuple[int, time, time]]) -> list[str]:
    """Describe working intervals of the same weekday that overlap."""
    problems = []
    by_day: dict[int, list[tuple[time, time]]] = {}
    for weekday, start, end in intervals:
        by_day.setdefault(weekday, []).append((start, end))
    for weekday, spans in by_day.items():
        spans.sort()
        for (s1, e1), (s2, e2) in zip(spans, spans[1:], strict=False):
            if s2 < e1:
                name = WorkingHours.Weekday(weekday).label
                problems.append(f"{name}: {s1:%H:%M}–{e1:%H:%M} overlaps {s2:%H:%M}–{e2:%H:%M}.")
    return problems


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    days: dict[int, list[tuple[time, time]]] | None = None
    holidays: frozenset[date] = frozenset()
    always: bool = False

    def windows(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local day, as UTC moments."""
        if self.always or self.days is None or day in self.holidays:
            return []
        return [
            (
                datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for start, end in self.days[day.weekday()]
        ]

    @property
    def has_hours(self) -> bool:
        return self.always or bool(self.days and any(self.days.values()))


def add_business_minutes(schedule: Schedule, start: datetime, minutes: float) -> datetime:
    """The moment `minutes` of business time after `start`."""
    if minutes <= 0:
        return start
    if schedule.always:
        return start + timedelta(minutes=minutes)
    if not schedule.has_hours:
        raise ValueError("This calendar has no working hours.")
    remaining = timedelta(minutes=minutes)
    day = start.astimezone(schedule.tz).date() - timedelta(
        days=1
    )  # a window may start the day before in UTC
    for _ in range(MAX_DAYS):
        for window_start, window_end in schedule.windows(day):
            begin = max(window_start, start)
            if begin >= window_end:
                continue
            available = window_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("The target lies more than three years away.")


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Business minutes from `start` to `end` (0 when end is not after start)."""
    if end <= start:
        return 0.0
    if schedule.always:
        return (end - start).total_seconds() / 60
    total = timedelta()
    day = start.astimezone(schedule.tz).date() - timedelta(days=1)
    last = end.astimezone(schedule.tz).date()
    while day <= last:
        for window_start, window_end in schedule.windows(day):
            begin, finish = max(window_start, start), min(window_end, end)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total.total_seconds() / 60


def add_country_holidays(
    calendar: BusinessCalendar, *, country: str, year: int | None = None
) -> int:
    """Fill a calendar with a country's public holidays (the `holidays` package)."""
    import holidays as public_holidays

    year = year or datetime.now(UTC).year + 1
    added = 0
    for day, name in sorted(public_holidays.country_holidays(country, years=year).items()):
        _, created = Holiday.objects.get_or_create(
            calendar=calendar, date=day, defaults={"name": name[:100]}
        )
        added += created
    versions.bump(versions.CATALOGUE)  # the SLA clocks of listed tickets read the holidays
    return added
