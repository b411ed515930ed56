"""Select and radio widgets that write their options in Python.

Django renders a template per option; on dense pages with long lists (services, teams,
people) that was a large share of the page's time. These are Django's own widgets with
only the writing replaced: the choices, the attributes and the value are the form's, so a
form that narrows a field's choices or sets a widget's attributes is obeyed.
"""

from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.forms.widgets import ChoiceWidget
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _pairs(choices: Iterable[Any]) -> Iterator[tuple[object, object]]:
    """The (value, label) pairs of a widget's choices, read in one plain query for a model."""
    if isinstance(choices, ModelChoiceIterator):
        # The model iterator reads through a server-side cursor (three round trips on
        # Postgres); a plain read of the same queryset is one.
        field = choices.field
        empty = [("", field.empty_label)] if field.empty_label is not None else []
        return chain(
            empty,
            (
                (field.prepare_value(obj), field.label_from_instance(obj))
                for obj in choices.queryset
            ),
        )
    return iter(choices)


def _flat_pairs(widget: ChoiceWidget) -> list[tuple[object, object]] | None:
    """The widget's choices as (value, label) pairs, or None when they are grouped (Django's
    own templates write groups)."""
    pairs = list(_pairs(widget.choices))
    return None if any(isinstance(label, list | tuple) for _, label in pairs) else pairs


class Select(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        pairs = _flat_pairs(self)
        if pairs is None:
            return super().render(name, value, attrs, renderer)
        chosen = set(self.format_value(value))
        final = {**self.build_attrs(self.attrs, attrs), "name": name}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in chosen else "", label) for key, label in pairs),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)


class RadioSelect(forms.RadioSelect):
    """Radio buttons in Bootstrap's layout: each input and its label in a `form-check`."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        pairs = _flat_pairs(self)
        if pairs is None:
            return super().render(name, value, attrs, renderer)
        chosen = set(self.format_value(value))
        base = self.build_attrs(self.attrs, attrs)
        base.setdefault("class", "form-check-input")
        input_id = base.pop("id", None)
        rows = []
        for index, (key, label) in enumerate(pairs):
            item = {"type": "radio", "name": name, "value": key, **base}
            if input_id:
                item["id"] = self.id_for_label(input_id, str(index))
            if str(key) in chosen:
                item["checked"] = True
            rows.append(
                format_html(
                    '<div class="form-check"><input{}><label class="form-check-label"{}>{}</label></div>',
                    flatatt(item),
                    flatatt({"for": item["id"]}) if input_id else "",
                    label,
                )
            )
        return format_html_join("", "{}", ((row,) for row in rows))
