"""Screenshots are kept only when their bytes are a real PNG, JPEG, GIF or WebP picture."""

import struct
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from knowledge import images, services
from knowledge.models import Article, ArticleImage
from tests.factories import ArticleFactory
from tests.knowledge.helpers import png

HERE = Path(__file__).parent / "images"
# Made by Chromium's canvas (24 x 16), as a browser or a screenshot tool writes them.
JPEG = (HERE / "step.jpg").read_bytes()
WEBP_EXTENDED = (HERE / "step.webp").read_bytes()
WEBP_LOSSLESS = (HERE / "lossless.webp").read_bytes()
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def simple_webp(extended: bytes) -> bytes:
    """The same picture in WebP's simple layout: only its VP8 or VP8L chunk in the RIFF."""
    position = 12
    while True:
        kind, size = struct.unpack("<4sI", extended[position : position + 8])
        if kind in (b"VP8 ", b"VP8L"):
            chunk = extended[position : position + 8 + size + (size & 1)]
            break
        position += 8 + size + (size & 1)
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


@pytest.mark.parametrize(
    ("data", "content_type", "size"),
    [
        (png(3, 2), "image/png", (3, 2)),
        ((HERE / "step.png").read_bytes(), "image/png", (24, 16)),
        (JPEG, "image/jpeg", (24, 16)),
        (GIF, "image/gif", (1, 1)),
        (WEBP_EXTENDED, "image/webp", (24, 16)),
        (WEBP_LOSSLESS, "image/webp", (24, 16)),
        (simple_webp(WEBP_EXTENDED), "image/webp", (24, 16)),
        (simple_webp(WEBP_LOSSLESS), "image/webp", (24, 16)),
    ],
)
def test_real_pictures_are_read_with_their_type_and_size(data, content_type, size):
    picture = images.inspect(data)
    assert (picture.content_type, (picture.width, picture.height)) == (content_type, size)


FAKES = {
    "html renamed .png": (b"<!doctype html><script>alert(document.cookie)</script>", "HTML"),
    "svg renamed .png": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "SVG",
    ),
    "svg with a byte order mark": (b"\xef\xbb\xbf  <svg onload=alert(1)>", "SVG"),
    "png signature then html": (b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script>", "damaged"),
    "png with a page after its end": (png(trailer=b"<script>alert(1)</script>"), "after the end"),
    "png cut short": (png()[:40], "damaged"),
    "png with a wrong checksum": (png()[:29] + b"\x00\x00\x00\x00" + png()[33:], "checksum"),
    "png too large to show": (png(20_000, 20_000), "too large"),
    "jpeg signature then text": (b"\xff\xd8\xff\xe0 hello <script>", "damaged"),
    "jpeg without its end": (JPEG[:-2], "end marker"),
    "jpeg with html after it": (JPEG + b"<html><script>alert(1)</script>", "after the end"),
    "gif without a picture": (
        b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0, 0, 0) + b";",
        "no picture",
    ),
    "riff that is not webp": (b"RIFF\x04\x00\x00\x00WAVE", "not a PNG"),
    "plain text": (b"just some words", "not a PNG"),
    "pdf": (b"%PDF-1.7\n...", "not a PNG"),
}


@pytest.mark.parametrize("case", FAKES.keys())
def test_fakes_are_refused_with_a_clear_message(case):
    data, message = FAKES[case]
    with pytest.raises(images.NotAnImage, match=message):
        images.inspect(data)


def test_an_upload_over_the_limit_or_empty_is_refused(settings):
    settings.KNOWLEDGE_IMAGE_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="at most 0 MB|at most"):
        images.check_upload(SimpleUploadedFile("big.png", png(40, 40) + b"\0" * 200))
    with pytest.raises(ValidationError, match="empty"):
        images.check_upload(SimpleUploadedFile("empty.png", b""))


def test_a_real_screenshot_is_stored_under_a_name_and_type_of_its_own(agent, db):
    article = ArticleFactory.create(status=Article.Status.DRAFT)
    upload = SimpleUploadedFile("../../evil name.gif", JPEG, content_type="image/gif")
    image = services.upload_image(article, file=upload, caption="  The  sign-in box ", by=agent)
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 24, 16)
    assert image.caption == "The sign-in box"
    assert image.file.name.startswith(f"knowledge/{article.pk}/")
    assert image.file.name.endswith(".jpg") and "evil" not in image.file.name
    assert image.file.read() == JPEG


def test_a_fake_image_is_not_stored(agent, db):
    article = ArticleFactory.create()
    with pytest.raises(ValidationError, match="step2.png: this is HTML"):
        services.upload_image(
            article, file=SimpleUploadedFile("step2.png", b"<html><script>x</script>"), by=agent
        )
    assert not ArticleImage.objects.exists()


def test_end_users_cannot_upload(requester, db):
    with pytest.raises(PermissionDenied):
        services.upload_image(
            ArticleFactory.create(), file=SimpleUploadedFile("a.png", png()), by=requester
        )


@pytest.fixture
def screenshot(agent, db):
    article = ArticleFactory.create()
    return services.upload_image(
        article, file=SimpleUploadedFile("step.png", png(5, 4)), caption="Step", by=agent
    )


def test_a_screenshot_is_served_inline_with_its_type_and_nosniff(client_as, requester, screenshot):
    response = client_as(requester).get(reverse("knowledge:image", args=[screenshot.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content) == png(5, 4)


@pytest.mark.parametrize(
    ("status", "audience"),
    [
        (Article.Status.DRAFT, Article.Audience.EVERYONE),
        (Article.Status.IN_REVIEW, Article.Audience.EVERYONE),
        (Article.Status.RETIRED, Article.Audience.EVERYONE),
        (Article.Status.PUBLISHED, Article.Audience.AGENTS),
    ],
)
def test_end_users_get_404_for_images_of_articles_they_cannot_read(
    client_as, requester, agent, screenshot, status, audience
):
    Article.objects.filter(pk=screenshot.article_id).update(status=status, audience=audience)
    url = reverse("knowledge:image", args=[screenshot.pk])
    assert client_as(requester).get(url).status_code == 404
    assert client_as(agent).get(url).status_code == 200


def test_signed_out_visitors_are_sent_to_log_in(client, screenshot):
    assert client.get(reverse("knowledge:image", args=[screenshot.pk])).status_code == 302
