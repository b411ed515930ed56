"""The database's own guards on survey rows: score ranges, one invitation per ticket."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Answer, Instrument, Invitation, SurveyRule, SurveySettings


def invitation_for(ticket, **fields):
    defaults = {
        "ticket": ticket,
        "person": ticket.requester,
        "instrument": Instrument.CSAT,
        "expires_at": timezone.now(),
        "nonce": "n0nce",
    }
    return Invitation.objects.create(**{**defaults, **fields})


def test_the_migration_creates_the_settings_row_and_a_default_rule(db):
    assert SurveySettings.load().budget_days == 14
    rule = SurveyRule.objects.get(is_default=True)
    assert (rule.ask_csat, rule.ask_ces, rule.delay_minutes) == (True, False, 60)


@pytest.mark.parametrize(
    ("instrument", "good", "bad"),
    [("csat", [1, 5], [0, 6]), ("nps", [0, 10], [11]), ("ces", [1, 7], [0, 8])],
)
def test_scores_outside_their_instrument_range_are_refused_by_the_database(
    ticket, instrument, good, bad
):
    invitation = invitation_for(ticket)
    for score in good:
        Answer.objects.create(invitation=invitation, instrument=instrument, score=score)
        Answer.objects.filter(invitation=invitation).delete()
    for score in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            Answer.objects.create(invitation=invitation, instrument=instrument, score=score)


def test_a_ticket_has_at_most_one_invitation(ticket):
    invitation_for(ticket)
    with pytest.raises(IntegrityError), transaction.atomic():
        invitation_for(ticket, status=Invitation.Status.CANCELLED)


def test_an_invitation_answers_each_instrument_once(ticket):
    invitation = invitation_for(ticket, asks_ces=True)
    Answer.objects.create(invitation=invitation, instrument=Instrument.CSAT, score=4)
    Answer.objects.create(invitation=invitation, instrument=Instrument.CES, score=6)
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(invitation=invitation, instrument=Instrument.CSAT, score=2)


def test_only_nps_invitations_may_be_about_no_ticket(requester):
    Invitation.objects.create(
        person=requester, instrument=Instrument.NPS, expires_at=timezone.now(), nonce="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            person=requester, instrument=Instrument.CSAT, expires_at=timezone.now(), nonce="x"
        )


def test_people_see_their_own_invitations_and_agents_those_of_their_teams(
    ticket, requester, other_requester, agent, other_agent
):
    invitation = invitation_for(ticket)
    assert list(Invitation.objects.visible_to(requester)) == [invitation]
    assert list(Invitation.objects.visible_to(agent)) == [invitation]
    assert not Invitation.objects.visible_to(other_requester).exists()
    assert not Invitation.objects.visible_to(other_agent).exists()
