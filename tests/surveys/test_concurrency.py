"""A double submit of one survey link, on Postgres with real row locks: one answer remains."""

import pytest
from django.test import Client

from surveys import links
from surveys.models import Answer, Invitation, SurveySettings
from tests.tickets.test_concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs("postgres")]


def submit(url: str, score: str):
    return lambda: Client().post(url, {"score": score, "comment": f"score {score}"}).status_code


@pytest.mark.parametrize("attempt", range(3))
def test_two_submits_at_once_store_one_answer(invite, attempt):
    invitation = invite()
    url = links.answer_url(invitation).removeprefix("http://servicedesk.test")
    outcomes = race(submit(url, "2"), submit(url, "4"))
    # The second waits for the first, then changes its answer (inside the change window).
    assert outcomes == [200, 200], outcomes
    assert Answer.objects.filter(invitation=invitation).count() == 1
    assert Invitation.objects.get(pk=invitation.pk).status == "answered"


def test_with_no_change_window_the_second_submit_is_refused(invite):
    invitation = invite()
    SurveySettings.objects.filter(pk=1).update(change_window_minutes=0)
    url = links.answer_url(invitation).removeprefix("http://servicedesk.test")
    outcomes = race(submit(url, "2"), submit(url, "4"))
    assert sorted(outcomes) == [200, 409], outcomes
    stored = Answer.objects.get(invitation=invitation)
    assert stored.changed_at is None
