"""What a view's request holds, for the type checker.

`login_required` guarantees that `request.user` is a signed-in `User`, and django-htmx's
middleware sets `request.htmx` on every request. These classes only say so in annotations
(django-htmx's `HtmxHttpRequest` pattern): Django still passes its own request objects and
nothing instantiates them.
"""

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User


class AuthedHtmxRequest(HttpRequest):
    user: User
    htmx: HtmxDetails
