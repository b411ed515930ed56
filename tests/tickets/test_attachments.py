import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets import services


@pytest.fixture
def html_attachment(ticket, requester):
    upload = SimpleUploadedFile(
        "page.html",
        b"<script>alert(document.cookie)</script>",
        content_type="text/html",
    )
    comment = services.add_comment(ticket, body="See the file", files=[upload], by=requester)
    return comment.attachments.get()


@pytest.mark.parametrize(
    ("name", "content"),
    [("page.html", b"<script>x</script>"), ("logo.svg", b"<svg onload='x()'/>")],
)
def test_active_content_is_served_as_a_download_never_inline(
    client_as, ticket, requester, name, content
):
    comment = services.add_comment(
        ticket, body="file", files=[SimpleUploadedFile(name, content)], by=requester
    )
    attachment = comment.attachments.get()
    response = client_as(requester).get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert name in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == content


def test_staff_of_the_team_can_download(client_as, agent, html_attachment):
    assert (
        client_as(agent).get(reverse("tickets:attachment", args=[html_attachment.pk])).status_code
        == 200
    )


@pytest.mark.parametrize("persona", ["other_requester", "other_agent"])
def test_others_get_404(client_as, request, html_attachment, persona):
    user = request.getfixturevalue(persona)
    assert (
        client_as(user).get(reverse("tickets:attachment", args=[html_attachment.pk])).status_code
        == 404
    )


def test_attachment_on_an_internal_note_is_hidden_from_the_requester(
    client_as, ticket, agent, requester
):
    note = services.add_comment(
        ticket,
        body="log",
        internal=True,
        files=[SimpleUploadedFile("debug.log", b"secret")],
        by=agent,
    )
    url = reverse("tickets:attachment", args=[note.attachments.get().pk])
    assert client_as(requester).get(url).status_code == 404
    assert client_as(agent).get(url).status_code == 200


def test_anonymous_is_sent_to_login(client, html_attachment):
    response = client.get(reverse("tickets:attachment", args=[html_attachment.pk]))
    assert response.status_code == 302
