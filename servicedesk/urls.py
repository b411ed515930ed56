from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import include, path
from django.views.decorators.http import require_GET
from drf_spectacular.views import SpectacularAPIView

from servicedesk.health import healthz, readyz
from servicedesk.http import AuthedHtmxRequest


@login_required
@require_GET
def home(request: AuthedHtmxRequest) -> HttpResponse:
    """Send each person to where they work: agents to their queues, others to the portal."""
    return redirect("workspace:queue" if request.user.is_staff_member else "portal:home")


handler500 = "servicedesk.errors.server_error"

admin.site.site_header = "Servicedesk administration"
admin.site.site_title = "Servicedesk admin"

urlpatterns = [
    path("", home, name="home"),
    path("healthz/", healthz, name="healthz"),
    path("readyz/", readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("portal/", include("portal.urls")),
    path("workspace/", include("workspace.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("tickets/", include("tickets.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("api/", include("servicedesk.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("admin/", admin.site.urls),
]

if settings.DEV_MAIL_PAGE:
    urlpatterns.append(path("dev/mail/", include("servicedesk.devmail")))
