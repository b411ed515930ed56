"""What a view's request holds, for the type checker, and who sent it.

`login_required` guarantees that `request.user` is a signed-in `User`, and django-htmx's
middleware sets `request.htmx` on every request. These classes only say so in annotations
(django-htmx's `HtmxHttpRequest` pattern): Django still passes its own request objects and
nothing instantiates them.
"""

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class AuthedHtmxRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent the request, for limits and lockouts.

    Behind the load balancer (BEHIND_PROXY), REMOTE_ADDR is the balancer's own address, the
    same for everyone; the client's is the last entry of X-Forwarded-For, the one the balancer
    appended. Entries before it are whatever the client sent, so they are never trusted.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return str(request.META.get("REMOTE_ADDR") or "")
