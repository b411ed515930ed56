"""The one ticket view shared by every audience: downloading an attachment."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from servicedesk.http import AuthedHtmxRequest

from .models import Attachment


@login_required
@require_GET
def attachment(request: AuthedHtmxRequest, pk: int) -> FileResponse:
    """Serve a file only to people who may see it, always as a download.

    Never inline: an uploaded .html or .svg opened in the browser would run as a page
    of this site. nosniff stops the browser guessing another type.
    """
    item = get_object_or_404(Attachment.objects.visible_to(request.user), pk=pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is no longer stored.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=item.original_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
