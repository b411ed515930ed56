"""The score formulas of PRODUCT.md, against hand-computed sets, and the grouped queries."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys import scores
from surveys.models import Answer, Instrument, Invitation
from tests.factories import DepartmentFactory, ServiceFactory, TicketFactory, UserFactory
from tickets.models import Ticket

from .builders import invite
from .conftest import NOW

START, END = NOW - timedelta(days=30), NOW + timedelta(days=1)


def test_no_answers_means_no_score_but_zero_counts():
    assert scores.csat_from({}) == scores.Csat(n=0, satisfied=0, neutral=0, dissatisfied=0)
    assert scores.csat_from({}).score is None
    assert scores.nps_from({}).score is None
    assert scores.ces_from({}).mean is None and scores.ces_from({}).agreeing_percent is None
    assert scores.ResponseRate(sent=0, answered=0).score is None


def test_csat_is_the_share_of_fours_and_fives():
    # 1, 2, 3, 4, 4, 5, 5, 5: five of eight satisfied.
    csat = scores.csat_from(scores.counted([1, 2, 3, 4, 4, 5, 5, 5]))
    assert (csat.n, csat.satisfied, csat.neutral, csat.dissatisfied) == (8, 5, 1, 2)
    assert csat.score == 62.5


def test_nps_is_promoters_minus_detractors_in_percent():
    # 10, 9, 9 promoters; 8, 7 passives; 6, 3, 0, 5, 2 detractors: (3 - 5) / 10 = -20.
    nps = scores.nps_from(scores.counted([10, 9, 9, 8, 7, 6, 3, 0, 5, 2]))
    assert (nps.n, nps.promoters, nps.passives, nps.detractors) == (10, 3, 2, 5)
    assert nps.score == -20


def test_an_all_passive_set_has_an_nps_of_zero_not_none():
    nps = scores.nps_from(scores.counted([7, 8, 8, 7]))
    assert (nps.n, nps.promoters, nps.passives, nps.detractors) == (4, 0, 4, 0)
    assert nps.score == 0


def test_all_promoters_and_all_detractors_are_the_ends_of_the_range():
    assert scores.nps_from({10: 3, 9: 1}).score == 100
    assert scores.nps_from({0: 2, 6: 5}).score == -100


def test_ces_is_the_mean_and_the_share_agreeing():
    # 7, 6, 5, 4, 1, 1: mean 24 / 6 = 4; agreeing (5-7) 3 of 6.
    ces = scores.ces_from(scores.counted([7, 6, 5, 4, 1, 1]))
    assert (ces.n, ces.total, ces.agreeing, ces.neutral, ces.disagreeing) == (6, 24, 3, 1, 2)
    assert ces.mean == 4 and ces.agreeing_percent == 50


def test_response_rate_is_answered_over_sent():
    assert scores.ResponseRate(sent=8, answered=2).score == 25


@given(st.dictionaries(st.integers(0, 10), st.integers(0, 1000)))
def test_nps_lies_between_minus_and_plus_hundred_and_follows_the_formula(counts):
    nps = scores.nps_from(counts)
    n = sum(counts.values())
    assert nps.n == n == nps.promoters + nps.passives + nps.detractors
    if n == 0:
        assert nps.score is None
        return
    assert nps.score is not None and -100 <= nps.score <= 100
    promoters = sum(c for s, c in counts.items() if s >= 9)
    detractors = sum(c for s, c in counts.items() if s <= 6)
    assert nps.score == pytest.approx(100 * promoters / n - 100 * detractors / n)


@given(st.dictionaries(st.integers(1, 5), st.integers(0, 1000)))
def test_csat_lies_between_zero_and_hundred(counts):
    csat = scores.csat_from(counts)
    assert csat.n == csat.satisfied + csat.neutral + csat.dissatisfied
    if csat.n:
        assert csat.score is not None and 0 <= csat.score <= 100
    else:
        assert csat.score is None


@given(st.lists(st.dictionaries(st.integers(0, 10), st.integers(0, 50)), max_size=4))
def test_combined_groups_add_their_counts(groups):
    parts = [scores.Scores(nps=scores.nps_from(g)) for g in groups]
    total: dict[int, int] = {}
    for g in groups:
        for score, count in g.items():
            total[score] = total.get(score, 0) + count
    assert scores.combined(parts).nps == scores.nps_from(total)


# The grouped queries, on a hand-made set.


@pytest.fixture
def survey_set(db, agent):
    """Two services, two departments; CSAT, CES and NPS answers; one invitation unanswered."""
    email, vpn = ServiceFactory.create(name="Email"), ServiceFactory.create(name="VPN")
    finance, sales = (
        DepartmentFactory.create(name="Finance"),
        DepartmentFactory.create(name="Sales"),
    )
    people = {
        "finance": UserFactory.create(department=finance),
        "sales": UserFactory.create(department=sales),
    }

    def surveyed(service, who, csat=None, ces=None, *, days_ago=1, status="answered"):
        ticket = TicketFactory.create(
            service=service,
            requester=people[who],
            assignee=agent,
            status=Ticket.Status.CLOSED,
            resolved_at=NOW - timedelta(days=days_ago, hours=1),
        )
        invitation = invite(ticket, at=NOW - timedelta(days=days_ago), status=status)
        for instrument, score in ((Instrument.CSAT, csat), (Instrument.CES, ces)):
            if score is not None:
                Answer.objects.create(
                    invitation=invitation,
                    instrument=instrument,
                    score=score,
                    answered_at=NOW - timedelta(days=days_ago),
                )
        return invitation

    # Email: CSAT 5, 4, 2 (2 of 3); CES 6 and 3 (mean 4.5, 1 of 2 agreeing); one unanswered.
    surveyed(email, "finance", csat=5, ces=6)
    surveyed(email, "sales", csat=4, ces=3)
    surveyed(email, "sales", csat=2)
    surveyed(email, "finance", status="sent")
    # VPN: CSAT 1 (0 of 1); an expired invitation; one answered long before the period.
    surveyed(vpn, "finance", csat=1)
    surveyed(vpn, "sales", status="expired")
    surveyed(vpn, "sales", csat=5, days_ago=90)
    # Relationship NPS: 10 (Finance), 8 and 3 (Sales): (1 - 1) / 3 = 0.
    for who, score in (("finance", 10), ("sales", 8), ("sales", 3)):
        invitation = invite(
            person=people[who],
            instrument=Instrument.NPS,
            at=NOW - timedelta(days=2),
            status="answered",
        )
        Answer.objects.create(
            invitation=invitation,
            instrument="nps",
            score=score,
            answered_at=NOW - timedelta(days=2),
        )
    # Never counted: skipped decisions and withdrawn invitations.
    Invitation.objects.create(
        person=people["sales"], instrument="csat", ticket=TicketFactory.create(service=email),
        status="skipped", skip_reason="budget", service=email, created_at=NOW,
    )  # fmt: skip
    surveyed(email, "sales", status="cancelled")
    return {"email": email, "vpn": vpn, "finance": finance, "sales": sales}


def test_overall_scores_and_their_counts(survey_set):
    total = scores.overall(start=START, end=END)
    assert (total.csat.n, total.csat.satisfied, total.csat.score) == (4, 2, 50)
    assert (total.ces.n, total.ces.total, total.ces.agreeing) == (2, 9, 1)
    assert total.ces.mean == 4.5 and total.ces.agreeing_percent == 50
    assert (total.nps.promoters, total.nps.passives, total.nps.detractors, total.nps.score) == (
        1,
        1,
        1,
        0,
    )
    # Sent: 4 answered CSAT + 3 NPS + 1 sent + 1 expired = 9; answered 7.
    assert (total.response.sent, total.response.answered) == (9, 7)


def test_scores_by_service_department_and_agent(survey_set, agent):
    email, vpn = survey_set["email"].pk, survey_set["vpn"].pk
    by_service = scores.breakdown(start=START, end=END, by=["service"])
    assert by_service[(email,)].csat.score == pytest.approx(200 / 3)
    assert by_service[(email,)].response == scores.ResponseRate(sent=4, answered=3)
    assert by_service[(vpn,)].csat == scores.Csat(n=1, satisfied=0, neutral=0, dissatisfied=1)
    assert by_service[(vpn,)].response == scores.ResponseRate(sent=2, answered=1)
    assert by_service[(None,)].nps.n == 3 and by_service[(None,)].csat.score is None
    by_department = scores.breakdown(start=START, end=END, by=["department"])
    finance, sales = survey_set["finance"].pk, survey_set["sales"].pk
    assert by_department[(finance,)].nps.score == 100
    assert by_department[(sales,)].nps.score == -50
    assert by_department[(sales,)].csat.score == 50  # 4 and 2
    by_agent = scores.breakdown(start=START, end=END, by=["agent"])
    assert by_agent[(agent.pk,)].csat.n == 4 and by_agent[(None,)].nps.n == 3


def test_scores_by_month_include_empty_months(survey_set):
    months = [(NOW - timedelta(days=d)).date().replace(day=1) for d in (90, 60, 0)]
    rows = scores.by_month(start=NOW - timedelta(days=120), end=END, months=set(months))
    assert [month for month, _ in rows] == sorted(set(months))
    by_month = dict(rows)
    assert by_month[months[0]].csat.n == 1  # the VPN answer of 90 days ago
    assert by_month[months[1]] == scores.EMPTY


def test_a_period_with_nothing_has_no_scores(survey_set):
    empty = scores.overall(start=NOW + timedelta(days=5), end=NOW + timedelta(days=6))
    assert empty == scores.EMPTY
    assert empty.csat.score is None and empty.nps.score is None and empty.response.score is None


def test_a_manager_scope_counts_their_teams_and_the_relationship_survey(survey_set, manager):
    scope = scores.Scope.for_user(manager)
    assert scope.teams == frozenset(manager.team_ids)
    total = scores.overall(start=START, end=END, scope=scope)
    assert total.csat.n == 0 and total.nps.n == 3  # the set's services belong to other teams
    assert (
        scores.overall(start=START, end=END, scope=scores.Scope.for_user(UserFactory.create()))
        == scores.EMPTY
    )


def test_narrowed_to_one_service(survey_set):
    vpn = scores.overall(start=START, end=END, where={"service": survey_set["vpn"].pk})
    assert vpn.csat.n == 1 and vpn.nps.n == 0


def test_a_breakdown_costs_two_queries_however_many_groups(survey_set, django_assert_num_queries):
    with django_assert_num_queries(2):
        few = scores.breakdown(start=START, end=END, by=["service", "department", "month"])
    for _ in range(5):
        service = ServiceFactory.create()
        ticket = TicketFactory.create(service=service, status="closed", resolved_at=NOW)
        invitation = invite(ticket, at=NOW - timedelta(hours=1), status="answered")
        Answer.objects.create(invitation=invitation, instrument="csat", score=4, answered_at=NOW)
    with django_assert_num_queries(2):
        more = scores.breakdown(start=START, end=END, by=["service", "department", "month"])
    assert len(more) == len(few) + 5


def test_an_unknown_dimension_is_an_error():
    with pytest.raises(ValueError, match="grouped by colour"):
        scores.breakdown(start=START, end=END, by=["colour"])
