"""Sessions end after a while without activity: sooner for staff than for end users.

The time of a person's last request is kept in their session, rewritten at most once a minute
so that a busy page never saves its session on every request. A request that finds the
session idle past the person's limit (SESSION_IDLE_MINUTES, STAFF_SESSION_IDLE_MINUTES) logs
it out and sends the person to sign in, with a message saying why.

htmx requests are answered with HX-Redirect whenever they would be sent to sign in (idle, or
a session that ended otherwise): a plain redirect would put the sign-in page inside a fragment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect

# The session key holding the time of the last request (seconds since the epoch).
LAST_SEEN = "last_seen"
# How stale the recorded time may get before a request rewrites it (and so saves the session).
RECORD_EVERY_SECONDS = 60


def idle_minutes(user: Any) -> int:
    """How long this person's session may sit unused; 0 means no limit."""
    if user.is_staff_member or user.is_admin:
        return int(settings.STAFF_SESSION_IDLE_MINUTES)
    return int(settings.SESSION_IDLE_MINUTES)


def describe(minutes: int) -> str:
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def return_path(request: HttpRequest) -> str | None:
    """The page to come back to after signing in: one the person can open with a GET."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        return htmx.current_url_abs_path
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return urlsplit(referer)._replace(scheme="", netloc="").geturl()
    return None


def login_url(request: HttpRequest) -> str:
    url = resolve_url(settings.LOGIN_URL)
    path = return_path(request)
    return f"{url}?{urlencode({'next': path})}" if path else url


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_SEEN)
            if last is None or now - last >= RECORD_EVERY_SECONDS:
                request.session[LAST_SEEN] = now
        if getattr(request, "htmx", False) and self.goes_to_login(response):
            return HttpResponseClientRedirect(login_url(request))
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated:
            return None
        minutes = idle_minutes(user)
        last = request.session.get(LAST_SEEN)
        if not minutes or last is None or time.time() - last <= minutes * 60:
            return None
        logout(request)
        if request.resolver_match and "api" in request.resolver_match.app_names:
            # The API goes on as for anyone signed out: a 403, not a page to sign in on.
            return None
        messages.info(request, f"You were signed out after {describe(minutes)} without activity.")
        return redirect(login_url(request))

    @staticmethod
    def goes_to_login(response: HttpResponse) -> bool:
        if response.status_code not in (301, 302, 303, 307, 308):
            return False
        return urlsplit(response["Location"]).path == resolve_url(settings.LOGIN_URL)
