"""The Jinja2 environment every page of the app renders with (the admin keeps Django's).

Links come from `url()` and assets from `static()`, both globals; the filters are the few
the pages need, written to give the same output as Django's own where they share a name.
"""

import contextlib
import hashlib
import re
from collections.abc import Callable
from datetime import date as datetime_date
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.template.defaultfilters import filesizeformat, urlize
from django.templatetags.static import static
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.dates import MONTHS_3
from django.utils.timezone import localtime
from django.utils.translation import get_language
from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

from servicedesk.versions import CACHE_ERRORS
from tickets.models import PRIORITY_LABELS, STATUS_LABELS, Ticket


@lru_cache(maxsize=256)
def _month_abbreviation(month: int, language: str | None) -> str:
    """A month's short name in the active language, translated once, not per date shown."""
    return str(MONTHS_3[month]).title()


# Format characters long lists use, written as Django writes them; others go to Django.
FAST_FORMATS: dict[str, Callable[[datetime], str]] = {
    "j": lambda moment: str(moment.day),
    "M": lambda moment: _month_abbreviation(moment.month, get_language()),
    "Y": lambda moment: str(moment.year),
    "H": lambda moment: f"{moment.hour:02d}",
    "i": lambda moment: f"{moment.minute:02d}",
    "c": datetime.isoformat,
}


def date(value: datetime | datetime_date | None, format_string: str = "j M Y, H:i") -> str:
    """Django's `date` filter: local time, Django's format characters; a day (a `date`, such
    as a review date) as it is, with no time zone to convert."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return dateformat.format(value, format_string)
    local = localtime(value)
    parts = _fast_format(format_string)
    if parts is None:
        return dateformat.format(local, format_string)
    return "".join(part(local) if callable(part) else part for part in parts)


@lru_cache(maxsize=64)
def _fast_format(format_string: str) -> tuple[str | Callable[[datetime], str], ...] | None:
    """The format as literal text and fast fields, or None if it needs Django's formatter."""
    if "\\" in format_string:
        return None
    parts: list[str | Callable[[datetime], str]] = []
    for char in format_string:
        if char in FAST_FORMATS:
            parts.append(FAST_FORMATS[char])
        elif char.isalpha():
            return None
        else:
            parts.append(char)
    return tuple(parts)


def age(moment: datetime | None) -> str:
    """A compact age for dense tables: 45m, 5h, 3d, 6w."""
    if moment is None:
        return ""
    minutes = max(int((timezone.now() - moment).total_seconds() // 60), 0)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes >= size:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def ago(moment: datetime | None) -> str:
    """A plain-words age for people ("3 hours ago"), cheaper than `timesince` in long lists."""
    if moment is None:
        return ""
    minutes = max(int((timezone.now() - moment).total_seconds() // 60), 0)
    if minutes < 1:
        return "just now"
    for unit, size in (("week", 7 * 24 * 60), ("day", 24 * 60), ("hour", 60), ("minute", 1)):
        if minutes >= size:
            count = minutes // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# What an audit event's stored codes read as, by the field they belong to.
EVENT_LABELS: dict[str, dict[Any, str]] = {
    "status": STATUS_LABELS,
    "priority": {**PRIORITY_LABELS, **{str(key): label for key, label in PRIORITY_LABELS.items()}},
    "category": dict(Ticket.Category.choices),
    "impact": dict(Ticket._meta.get_field("impact").flatchoices),
    "urgency": dict(Ticket._meta.get_field("urgency").flatchoices),
    "response_outcome": dict(Ticket._meta.get_field("response_outcome").flatchoices),
    "resolution_outcome": dict(Ticket._meta.get_field("resolution_outcome").flatchoices),
    "target": {"response": "first response", "resolution": "resolution", "update": "next update"},
}


def event_value(value: object, key: str = "") -> object:
    """A value from an audit event as a person reads it: labels, not codes; local times."""
    labels = EVENT_LABELS.get(key)
    if labels is not None and not isinstance(value, list | dict):
        try:
            return labels.get(value, value)
        except TypeError:
            return value
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return date(datetime.fromisoformat(value), "D j M Y, H:i")
        except ValueError:
            return value
    return value


# Stand-ins for whole-number arguments: a link's pattern is reversed once with these, then
# filled in. They match the `int` path converter and appear in no path of ours.
_INT_STAND_INS = ("9081726354", "9182736450", "9273645081")


@lru_cache(maxsize=512)
def _link_pattern(name: str, count: int) -> tuple[str, ...]:
    """The reversed path of `name` split around its arguments."""
    path = reverse(name, args=_INT_STAND_INS[:count])
    return tuple(re.split("|".join(_INT_STAND_INS[:count]), path))


def url(name: str, *args: object, **kwargs: object) -> str:
    """Django's `reverse`, as the `url()` global of templates.

    A list of 25 tickets links each one twice; reversing costs tens of microseconds, so a
    link whose arguments are all whole numbers is reversed once and then filled in.
    """
    if kwargs or not args or len(args) > len(_INT_STAND_INS):
        return reverse(name, args=args or None, kwargs=kwargs or None)
    if not all(isinstance(arg, int) and arg >= 0 for arg in args):
        return reverse(name, args=args)
    parts = _link_pattern(name, len(args))
    if len(parts) != len(args) + 1:  # a pattern that does not take them as whole numbers
        return reverse(name, args=args)
    return "".join(part + (str(args[i]) if i < len(args) else "") for i, part in enumerate(parts))


def environment(**options: Any) -> Environment:
    # Explicit, whatever the backend passes: every page escapes what people typed unless a
    # value is marked safe.
    options.pop("autoescape", None)
    options["extensions"] = [*options.get("extensions", ()), FragmentCacheExtension]
    env = Environment(autoescape=True, **options)
    env.globals.update({"url": url, "static": static})
    env.filters.update(
        {
            "age": age,
            "ago": ago,
            "date": date,
            "event_value": event_value,
            "filesizeformat": filesizeformat,
            "intcomma": intcomma,
            "urlize": urlize,
        }
    )
    return env


def forget_links() -> None:
    """Forget reversed link patterns (after a change of URLconf, in tests)."""
    _link_pattern.cache_clear()


class FragmentCacheExtension(Extension):
    """`{% cache timeout, key, ... %}...{% endcache %}`: a part of a page kept in Django's cache.

    The key parts must name everything the part shows that can change, a version of the
    data it reads included, so a change is seen at once rather than after the timeout.
    """

    tags = {"cache"}

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        args = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            args.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        return nodes.CallBlock(
            self.call_method("_cached", [nodes.List(args)]), [], [], body
        ).set_lineno(lineno)

    def _cached(self, args: list[Any], caller: Callable[[], str]) -> str:
        timeout, *parts = args
        key = "fragment:" + hashlib.sha256(repr(parts).encode()).hexdigest()
        try:
            html = cache.get(key)
        except CACHE_ERRORS:  # the cache's server is away: draw the part afresh
            return Markup(caller())  # nosec B704 - rendered, and escaped, by Jinja2
        if html is None:
            html = caller()
            with contextlib.suppress(*CACHE_ERRORS):  # the cache is an optimisation
                cache.set(key, html, timeout)
        return Markup(html)  # nosec B704  # Jinja2 rendered, and escaped, the cached fragment
