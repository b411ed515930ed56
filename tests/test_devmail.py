"""The development mail page shows each person their own messages; admins see them all."""

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse


@pytest.fixture
def mail_file(settings, tmp_path, requester, other_requester):
    """One file as the file backend writes it: Ella's message first, then Oscar's."""
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    connection = get_connection(
        "django.core.mail.backends.filebased.EmailBackend", file_path=settings.EMAIL_FILE_PATH
    )
    messages = []
    for person, subject in ((requester, "For Ella"), (other_requester, "For Oscar")):
        message = EmailMultiAlternatives(subject, f"Hello {subject[4:]}", to=[person.email])
        message.attach_alternative(f"<p>{subject}</p>", "text/html")
        messages.append(message)
    connection.send_messages(messages)
    return next(settings.EMAIL_FILE_PATH.glob("*.log")).stem


def pages(client, name):
    return {
        "list": client.get(reverse("devmail:list")).content.decode(),
        "ella": client.get(reverse("devmail:detail", args=[name, 0])).status_code,
        "oscar": client.get(reverse("devmail:detail", args=[name, 1])).status_code,
        "oscar html": client.get(reverse("devmail:html", args=[name, 1])).status_code,
    }


def test_a_person_sees_only_messages_addressed_to_them(client_as, requester, mail_file):
    seen = pages(client_as(requester), mail_file)
    assert "For Ella" in seen["list"] and "For Oscar" not in seen["list"]
    assert (seen["ella"], seen["oscar"], seen["oscar html"]) == (200, 404, 404)


def test_an_agent_does_not_read_the_requesters_mail(client_as, agent, mail_file):
    seen = pages(client_as(agent), mail_file)
    assert "For Ella" not in seen["list"] and "For Oscar" not in seen["list"]
    assert (seen["ella"], seen["oscar"], seen["oscar html"]) == (404, 404, 404)


def test_an_admin_sees_every_message(client_as, admin_user, mail_file):
    seen = pages(client_as(admin_user), mail_file)
    assert "For Ella" in seen["list"] and "For Oscar" in seen["list"]
    assert (seen["ella"], seen["oscar"], seen["oscar html"]) == (200, 200, 200)


def test_anonymous_is_sent_to_log_in(client, mail_file):
    for url in (reverse("devmail:list"), reverse("devmail:detail", args=[mail_file, 0])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_links_in_a_messages_html_open_in_the_whole_window(client_as, requester, mail_file):
    html = client_as(requester).get(reverse("devmail:html", args=[mail_file, 0])).content.decode()
    assert html.startswith('<base target="_top">') and "<p>For Ella</p>" in html
