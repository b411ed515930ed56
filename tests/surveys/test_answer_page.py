"""One-click answers: the email's links, the answer page, and everything it must refuse."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail, signing
from django.test import Client

from surveys import links
from surveys.models import Answer, Invitation, SurveySettings
from tickets import notifications
from tickets import services as ticket_services

from .conftest import NOW


def page_url(invitation: Invitation, *, score: int | str | None = None, token: str | None = None):
    url = links.answer_url(invitation)
    if token is not None:
        url = url.rsplit("/", 2)[0] + f"/{token}/"
    path = url.removeprefix("http://servicedesk.test")
    return path if score is None else f"{path}?score={score}"


def text(response) -> str:
    return html.unescape(response.content.decode())


def answer(client: Client, invitation: Invitation, **data):
    return client.post(page_url(invitation), {"comment": "", **data})


@pytest.fixture
def invitation(invite) -> Invitation:
    return invite()


def html_of(email) -> str:
    [(content, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    return str(content)


def sent_email(invitation: Invitation):
    assert invitation.message_id is not None
    assert notifications.deliver(invitation.message_id, now=NOW)
    [email] = mail.outbox
    return email


def test_the_email_carries_five_csat_buttons_with_words_and_faces(invitation):
    email = sent_email(invitation)
    body = html_of(email)
    hrefs = re.findall(r'href="([^"]+\?score=(\d))"', body)
    assert [score for _, score in hrefs] == ["1", "2", "3", "4", "5"]
    assert all(
        href.startswith(f"http://servicedesk.test/portal/surveys/{invitation.pk}/")
        for href, _ in hrefs
    )
    for word in (
        "Very dissatisfied",
        "Neutral",
        "Very satisfied",
        "\N{GRINNING FACE WITH SMILING EYES}",
    ):
        assert word in body
    # Mail clients: no script, no images, inline styles on the buttons, a plain text part.
    assert "<script" not in body.lower() and "<img" not in body.lower()
    assert 'style="display:inline-block' in body
    assert "Very satisfied: http://servicedesk.test/portal/surveys/" in email.body
    assert "Turn survey emails off" in body


def test_a_relationship_email_carries_eleven_nps_links(invite, requester, clock):
    from surveys import services

    SurveySettings.objects.filter(pk=1).update(nps_sample_percent=100)
    invite(requester=requester)
    Invitation.objects.update(created_at=NOW - timedelta(days=30))
    mail.outbox.clear()
    assert services.invite_relationship_due(NOW) == 1
    nps = Invitation.objects.get(instrument="nps")
    assert nps.message_id is not None
    notifications.deliver(nps.message_id, now=NOW)
    body = html_of(mail.outbox[-1])
    assert re.findall(r"\?score=(\d+)", body) == [str(n) for n in range(11)]
    assert mail.outbox[-1].subject == "One question about the service desk"


def test_opening_a_link_shows_the_score_chosen_and_records_nothing(client, invitation):
    response = client.get(page_url(invitation, score=4))
    assert response.status_code == 200
    body = text(response)
    assert re.search(r'value="4"\s+checked', body)
    assert "Confirm my answer" in body
    assert 'name="comment"' in body
    assert not Answer.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_head_records_nothing_either(client, invitation):
    assert client.head(page_url(invitation, score=5)).status_code == 200
    assert not Answer.objects.exists()


def test_the_page_sets_no_cookie_and_creates_no_session(client, invitation):
    for response in (
        client.get(page_url(invitation, score=4)),
        answer(client, invitation, score="4"),
    ):
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert not response.cookies
    assert not Session.objects.exists()


def test_the_page_is_not_cached(client, invitation):
    response = client.get(page_url(invitation, score=4))
    assert "no-store" in response.headers["Cache-Control"]


def test_a_signed_in_person_gets_the_same_page_without_their_session_touched(
    client_as, invitation, requester
):
    client = client_as(requester)
    response = client.get(page_url(invitation, score=4))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Log out" not in text(response)


def test_confirming_records_the_answer_and_thanks(client, invitation):
    response = answer(client, invitation, score="2", comment="  Took three days  ")
    assert response.status_code == 200
    assert "Thank you for your answer" in text(response)
    stored = Answer.objects.get()
    assert (stored.instrument, stored.score, stored.comment, stored.answered_at) == (
        "csat",
        2,
        "Took three days",
        NOW,
    )
    invitation.refresh_from_db()
    assert (invitation.status, invitation.answered_at) == ("answered", NOW)
    # Answered before the beat marked it sent: the answer proves the email went.
    assert invitation.sent_at == NOW


def test_the_ces_question_follows_csat_when_the_rule_asks_it(default_rule, invite, client):
    default_rule.ask_ces = True
    default_rule.save()
    invitation = invite()
    body = text(client.get(page_url(invitation, score=5)))
    assert "made it easy for me to handle my issue" in body
    assert answer(client, invitation, score="5", ces="6").status_code == 200
    assert dict(Answer.objects.values_list("instrument", "score")) == {"csat": 5, "ces": 6}
    assert answer(client, invitation, score="5", ces="8").status_code == 400


def test_an_answer_can_be_changed_within_the_window(client, clock, invitation):
    answer(client, invitation, score="2")
    clock.move_to(NOW + timedelta(minutes=29))
    body = text(client.get(page_url(invitation)))
    assert "Change your answer" in body and re.search(r'value="2"\s+checked', body)
    response = answer(client, invitation, score="4", comment="Sorted after all")
    assert "Your answer is changed" in text(response)
    stored = Answer.objects.get()
    assert (stored.score, stored.comment, stored.answered_at) == (4, "Sorted after all", NOW)
    assert stored.changed_at == NOW + timedelta(minutes=29)


def test_answering_again_after_the_window_is_refused_and_changes_nothing(client, clock, invitation):
    answer(client, invitation, score="2")
    clock.move_to(NOW + timedelta(minutes=31))
    for response in (
        client.get(page_url(invitation, score=5)),
        answer(client, invitation, score="5"),
    ):
        assert response.status_code == 409
        assert "You have already answered" in text(response)
    assert Answer.objects.get().score == 2


def test_an_expired_link_is_refused_and_stores_nothing(client, clock, invitation):
    clock.move_to(NOW + timedelta(days=14))
    response = answer(client, invitation, score="5")
    assert response.status_code == 410
    assert "This survey has closed" in text(response)
    assert not Answer.objects.exists()


def test_a_token_past_its_signature_age_is_refused(client, clock, invitation):
    url = page_url(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=NOW + timedelta(days=365))
    clock.move_to(NOW + links.MAX_AGE + timedelta(days=1))
    assert client.post(url, {"score": "5"}).status_code == 410
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "x" + token,  # the payload
        lambda token: signing.dumps({"i": 1, "s": "csat", "n": "x"}, salt="another.purpose"),
    ],
)
def test_a_tampered_token_is_refused_and_stores_nothing(client, invitation, tamper):
    token = tamper(page_url(invitation).rstrip("/").rsplit("/", 1)[1])
    for response in (
        client.get(page_url(invitation, token=token) + "?score=5"),
        client.post(page_url(invitation, token=token), {"score": "5"}),
    ):
        assert response.status_code == 404
        assert "This survey link doesn't work" in text(response)
    assert not Answer.objects.exists()


def test_the_token_of_another_ticket_is_refused(client, invite, other_requester):
    mine = invite()
    theirs = invite(requester=other_requester)
    token_of_mine = page_url(mine).rstrip("/").rsplit("/", 1)[1]
    response = client.post(page_url(theirs, token=token_of_mine), {"score": "1"})
    assert response.status_code == 404
    assert not Answer.objects.exists()


def test_a_new_nonce_voids_the_links_already_sent(client, invitation):
    url = page_url(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(nonce="rotated")
    assert client.post(url, {"score": "5"}).status_code == 404
    assert not Answer.objects.exists()


def test_a_link_of_a_reopened_ticket_is_refused_before_the_beat_cancels_it(
    client, invitation, requester
):
    ticket_services.reopen_ticket(invitation.ticket, reason="Broken again", by=invitation.person)
    response = answer(client, invitation, score="5")
    assert response.status_code == 410
    assert "was reopened" in text(response)
    assert not Answer.objects.exists()


@pytest.mark.parametrize("score", ["0", "6", "-1", "abc", "4.5", "", "9" * 30])
def test_an_out_of_range_or_malformed_score_is_a_400_with_a_reason(client, invitation, score):
    response = answer(client, invitation, score=score)
    assert response.status_code == 400
    body = text(response)
    assert "Choose one of the answers, from 1 to 5." in body or "This field is required." in body
    assert not Answer.objects.exists()


@pytest.mark.parametrize("score", ["0", "6", "abc", "%00"])
def test_a_link_with_a_score_off_the_scale_is_a_400_naming_the_scale(client, invitation, score):
    response = client.get(page_url(invitation, score=score))
    assert response.status_code == 400
    assert "Choose one of the answers, from 1 to 5." in text(response)


def test_a_comment_too_long_is_a_400(client, invitation):
    response = answer(client, invitation, score="3", comment="x" * 2001)
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_other_methods_are_refused(client, invitation):
    assert client.put(page_url(invitation)).status_code == 405
    assert not Answer.objects.exists()
