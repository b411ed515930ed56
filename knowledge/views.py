"""The one knowledge view shared by every audience: an article's image."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from servicedesk.http import AuthedHtmxRequest

from .models import ArticleImage


@login_required
@require_GET
def image(request: AuthedHtmxRequest, pk: int) -> FileResponse:
    """Serve a screenshot inline to people who may read its article.

    Inline is safe here, unlike a ticket attachment: the bytes were checked to be a PNG,
    JPEG, GIF or WebP picture on upload (knowledge/images.py), and the type sent is the one
    found then. nosniff stops the browser guessing another; the sandbox policy keeps even a
    picture opened on its own from running anything.
    """
    images = ArticleImage.objects.visible_to(request.user).only("file", "content_type")
    item = get_object_or_404(images, pk=pk)
    try:
        handle = item.file.open("rb")
    except FileNotFoundError:
        raise Http404("The image is no longer stored.") from None
    response = FileResponse(handle, content_type=item.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Private: an image of an agents-only article must not sit in a shared cache.
    response["Cache-Control"] = "private, max-age=86400"
    return response
