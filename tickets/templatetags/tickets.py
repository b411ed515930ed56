from collections.abc import Iterator
from datetime import datetime
from itertools import chain

from django import forms, template
from django.template import engines
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def age(moment: datetime | None) -> str:
    """A compact age for dense tables: 45m, 5h, 3d, 6w."""
    if moment is None:
        return ""
    minutes = max(int((timezone.now() - moment).total_seconds() // 60), 0)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes >= size:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


@register.filter
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


@register.simple_tag
def select_options(field: forms.BoundField) -> str:
    """The <option>s of a choice field, built in Python.

    Django's Select widget renders a template per option and a template loop resolves
    several variables per option; on dense pages with long lists (services, teams,
    people) that was a large share of the page's time.
    """
    current = _current(field)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) == current else "", label)
            for value, label in _choices(field.field)
        ),
    )


@register.simple_tag
def radio_inputs(field: forms.BoundField) -> str:
    """A radio group's inputs and labels in Bootstrap's layout, built in Python (as above)."""
    current = _current(field)
    required = mark_safe(" required") if field.field.required else ""
    return format_html_join(
        "",
        '<div class="form-check"><input type="radio" name="{}" value="{}" class="form-check-input"'
        ' id="{}_{}"{}{}><label class="form-check-label" for="{}_{}">{}</label></div>',
        (
            (field.html_name, value, field.auto_id, index, required,
             mark_safe(" checked") if str(value) == current else "", field.auto_id, index, label)
            for index, (value, label) in enumerate(_choices(field.field))
        ),
    )  # fmt: skip


def _current(field: forms.BoundField) -> str:
    """The chosen value as the choices spell it ("" when none)."""
    return "" if field.value() is None else str(field.value())


def _choices(field: forms.Field) -> Iterator[tuple[object, str]]:
    if not isinstance(field, forms.ModelChoiceField):
        return iter(field.choices)  # type: ignore[attr-defined]
    # A model field's own iterator reads through a server-side cursor (three round trips
    # on Postgres) and counts the rows first when listed; a plain read is one query.
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    return chain(
        empty,
        ((field.prepare_value(obj), field.label_from_instance(obj)) for obj in field.queryset),
    )


@register.simple_tag(takes_context=True)
def jinja(context: template.Context, template_name: str) -> str:
    """Render a dense fragment with Jinja2 (see servicedesk/jinja2.py), in this context."""
    fragment = engines["jinja2"].get_template(template_name)
    # Jinja2 escapes as it renders (autoescape is on), so its output is safe HTML.
    return mark_safe(fragment.render(context.flatten()))
