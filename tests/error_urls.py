"""URLs that fail on purpose, to show the error pages."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from servicedesk.urls import handler500  # noqa: F401
from servicedesk.urls import urlpatterns as site_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(1 / 0))


def bad(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a request in a shape nobody sends")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


urlpatterns = [
    *site_urlpatterns,
    path("boom/", boom),
    path("bad/", bad),
    path("forbidden/", forbidden),
]
