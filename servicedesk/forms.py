"""How form widgets render: through Django's Jinja2 widget templates where there are some."""

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class WidgetRenderer(BaseRenderer):
    """Django ships each of its widget templates twice, for its own engine and for Jinja2;
    the Jinja2 ones render about twice as fast, and a form renders one per widget. Widgets
    with only a Django template (the admin's) render through Django's engine as before.
    """

    def __init__(self) -> None:
        self.fast = Jinja2()
        self.fallback = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self.fast.get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
