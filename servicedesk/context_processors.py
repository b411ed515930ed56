"""What every page's template needs beyond its view's context."""

from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django_htmx.jinja import htmx_script

# The page frame's links (navbar) and assets (head), by the names base.html uses.
FRAME_LINKS = {
    "home": "home",
    "queues": "workspace:queue",
    "knowledge": "workspace:article-list",
    "followups": "workspace:followups",
    "pulse": "workspace:pulse",
    "dashboards": "dashboards:overview",
    "knowledge_reports": "dashboards:knowledge",
    "portal": "portal:home",
    "my_tickets": "portal:ticket-list",
    "new_ticket": "portal:ticket-create",
    "help_articles": "portal:knowledge-home",
    "admin": "admin:index",
    "profile": "accounts:profile",
    "logout": "accounts:logout",
}
FRAME_ASSETS = {
    "bootstrap_css": "vendor/bootstrap/bootstrap.min.css",
    "icons_css": "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "servicedesk_css": "css/servicedesk.css",
    "favicon": "img/favicon.svg",
    "bootstrap_js": "vendor/bootstrap/bootstrap.bundle.min.js",
    "servicedesk_js": "js/servicedesk.js",
}


def servicedesk(request: HttpRequest) -> dict[str, object]:
    return {"DEV_MAIL_PAGE": settings.DEV_MAIL_PAGE, "frame": frame()}


@cache
def frame() -> dict[str, str]:
    """The URLs of the page frame, worked out once per process.

    A `{% url %}` or `{% static %}` tag costs tens of microseconds (a reverse, a lookup in
    the static manifest), and the frame has eighteen: most of the base template's time. The
    URLconf and the manifest are loaded once per process, so the answers cannot change
    while it runs; a change of settings (tests) forgets them.
    """
    links = {name: reverse(route) for name, route in FRAME_LINKS.items()}
    if settings.DEV_MAIL_PAGE:
        links["dev_mail"] = reverse("devmail:list")
    assets = {name: static(path) for name, path in FRAME_ASSETS.items()}
    # No nonce: the content security policy allows our own scripts by origin.
    return {**links, **assets, "htmx_script": htmx_script()}


@receiver(setting_changed)
def _forget_frame(**kwargs: object) -> None:
    from .jinja2 import forget_links

    frame.cache_clear()
    forget_links()
