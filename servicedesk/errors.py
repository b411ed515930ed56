"""Error pages in the site's own layout, in plain words, with nothing from the debug page.

Django's own handlers render `400.html`, `403.html` and `404.html` with the request, so
those pages know who is signed in. A 500 may come from the database or the session being
down, so its page is drawn from nothing but the frame's links: it cannot fail in turn.
"""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from .context_processors import frame

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        html = loader.get_template("500.html").render({"frame": frame(), "user": None})
    except Exception:  # The page about an error must not be a second one.
        logger.exception("The 500 page could not be drawn")
        html = (
            '<!doctype html><html lang="en"><title>Something went wrong</title>'
            "<main><h1>Something went wrong</h1></main></html>"
        )
    return HttpResponseServerError(html)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that expired or from another site: say so, offer a way back."""
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
