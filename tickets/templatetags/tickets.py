from datetime import datetime

from django import forms, template
from django.utils import timezone

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
def options(field: forms.BoundField) -> list[tuple[object, str]]:
    """A field's choices as a list: one query for model choices, no COUNT first."""
    # iter() first: list() would ask a ModelChoiceIterator for its length, a COUNT query.
    return list(iter(field.field.choices))
