"""The Jinja2 environment for the dense fragments of busy pages.

Pages are Django templates. A long list inside one (the queue's rows, a ticket's thread,
its history) is a Jinja2 template embedded with `{% jinja "..." %}`: Jinja2 compiles to
Python and renders such loops several times faster. The filters here mirror the Django
ones those fragments need, with the same output.
"""

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat
from django.utils.dates import MONTHS_3
from django.utils.timezone import localtime
from django.utils.translation import get_language
from jinja2 import Environment

from tickets.templatetags.tickets import age, ago

# Format characters long lists use, written as Django writes them; others go to Django.
FAST_FORMATS: dict[str, Callable[[datetime], str]] = {
    "j": lambda moment: str(moment.day),
    "M": lambda moment: _month_abbreviation(moment.month, get_language()),
    "Y": lambda moment: str(moment.year),
    "H": lambda moment: f"{moment.hour:02d}",
    "i": lambda moment: f"{moment.minute:02d}",
    "c": datetime.isoformat,
}


def date(value: datetime | None, format_string: str) -> str:
    """Django's `date` filter: local time, Django's format characters."""
    if value is None:
        return ""
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


@lru_cache(maxsize=256)
def _month_abbreviation(month: int, language: str | None) -> str:
    """A month's short name in the active language, translated once, not per date shown."""
    return str(MONTHS_3[month]).title()


ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def event_value(value: object) -> object:
    """A value from an audit event as a person reads it: moments in local time, not ISO."""
    if isinstance(value, str) and ISO_MOMENT.match(value):
        try:
            return date(datetime.fromisoformat(value), "D j M Y, H:i")
        except ValueError:
            return value
    return value


def url(name: str, *args: object) -> str:
    return reverse(name, args=args)


def environment(**options: object) -> Environment:
    env = Environment(**options)  # type: ignore[arg-type]
    env.globals.update({"url": url})
    env.filters.update(
        {
            "age": age,
            "ago": ago,
            "date": date,
            "event_value": event_value,
            "filesizeformat": filesizeformat,
        }
    )
    return env
