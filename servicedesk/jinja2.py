"""The Jinja2 environment for the dense fragments of busy pages.

Pages are Django templates. A long list inside one (the queue's rows, a ticket's thread,
its history) is a Jinja2 template embedded with `{% jinja "..." %}`: Jinja2 compiles to
Python and renders such loops several times faster. The filters here mirror the Django
ones those fragments need, with the same output.
"""

from datetime import datetime

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat
from django.utils.dates import MONTHS_3
from django.utils.timezone import localtime
from jinja2 import Environment

from tickets.templatetags.tickets import age, ago


def date(value: datetime | None, format_string: str) -> str:
    """Django's `date` filter: local time, Django's format characters."""
    if value is None:
        return ""
    local = localtime(value)
    # The two formats of long lists, as Django writes them, without its formatter's overhead.
    if format_string == "c":
        return local.isoformat()
    if format_string == "j M Y, H:i":
        return f"{local.day} {str(MONTHS_3[local.month]).title()} {local.year}, {local:%H:%M}"
    return dateformat.format(local, format_string)


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
            "intcomma": intcomma,
            "filesizeformat": filesizeformat,
        }
    )
    return env
