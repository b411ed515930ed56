"""One page template serves the page and its htmx fragments.

A fragment is a named block of its page (`{% block ticket_sidebar %}` around the element
`id="ticket-sidebar"`): the view renders the page, or only that block for htmx. Block
names are the element ids with underscores, since Jinja2 names cannot hold a hyphen.
"""

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render as render_page
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.template.backends.utils import csrf_input_lazy, csrf_token_lazy
from jinja2_fragments import render_blocks


def render(
    request: HttpRequest,
    template_name: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragments: Sequence[str] = (),
    status: int = 200,
) -> HttpResponse:
    """The whole page, or only the named fragments of it, one after the other."""
    if not fragments:
        return render_page(request, template_name, context, status=status)
    html = render_fragments(request, template_name, context, fragments=fragments)
    return HttpResponse(html, status=status)


def render_fragments(
    request: HttpRequest,
    template_name: str,
    context: Mapping[str, Any] | None,
    *,
    fragments: Sequence[str],
) -> str:
    backend = cast(Jinja2, engines["jinja2"])
    # What Django's Jinja2 backend gives a whole page: the request, the CSRF token and the
    # context processors' values.
    full: dict[str, Any] = {
        **(context or {}),
        "request": request,
        "csrf_input": csrf_input_lazy(request),
        "csrf_token": csrf_token_lazy(request),
    }
    for processor in backend.template_context_processors:
        full.update(processor(request))
    blocks = [name.replace("-", "_") for name in fragments]
    return render_blocks(backend.env, template_name, blocks, full)
