"""The rules as pure functions: rule matching, deterministic sampling, the budget."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from surveys import rules
from surveys.models import Invitation


@dataclass
class R:
    name: str
    service_id: int | None = None
    department_id: int | None = None
    is_default: bool = False
    is_active: bool = True
    ask_csat: bool = True
    ask_ces: bool = False
    delay_minutes: int = 60
    sample_percent: int = 100


NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
DEFAULT = R("default", is_default=True)
EMAIL = R("email", service_id=1)
FINANCE = R("finance", department_id=7)
EMAIL_FINANCE = R("email+finance", service_id=1, department_id=7)


def test_the_most_specific_active_rule_wins():
    all_rules = [DEFAULT, EMAIL, FINANCE, EMAIL_FINANCE]

    def pick(service_id: int, department_id: int | None) -> str:
        rule = rules.rule_for(all_rules, service_id=service_id, department_id=department_id)
        return rule.name if rule else ""

    assert pick(1, 7) == "email+finance"
    assert pick(1, 8) == "email"
    assert pick(2, 7) == "finance"
    assert pick(2, None) == "default"


def test_inactive_rules_and_non_default_catch_alls_are_ignored():
    stray = R("stray")  # no service, no department, not the default
    assert (
        rules.rule_for(
            [stray, R("off", service_id=1, is_active=False)], service_id=1, department_id=None
        )
        is None
    )
    assert rules.rule_for([stray, DEFAULT], service_id=1, department_id=None) is DEFAULT


def test_sampling_is_a_stable_share_of_ticket_ids():
    assert all(rules.in_sample(pk, 100) for pk in range(1, 500))
    assert not any(rules.in_sample(pk, 0) for pk in range(1, 500))
    taken = [pk for pk in range(1, 10_001) if rules.in_sample(pk, 25)]
    assert 2300 < len(taken) < 2700
    # The same ids every time: the hash of the id, never a random draw.
    assert taken == [pk for pk in range(1, 10_001) if rules.in_sample(pk, 25)]
    assert taken[:5] == [pk for pk in range(1, 10_001) if rules.bucket("ticket", pk) < 25][:5]


def test_the_budget_counts_days_since_the_last_invitation_whatever_the_instrument():
    assert rules.within_budget(None, now=NOW, budget_days=14)
    assert not rules.within_budget(NOW - timedelta(days=13, hours=23), now=NOW, budget_days=14)
    assert rules.within_budget(NOW - timedelta(days=14), now=NOW, budget_days=14)


def candidate(**fields):
    defaults = {
        "ticket_id": 1,
        "person_id": 1,
        "service_id": 1,
        "department_id": None,
        "resolved_at": NOW - timedelta(hours=2),
        "reachable": True,
        "opted_out": False,
        "follow_up_open": False,
        "last_invited_at": None,
    }
    return rules.Candidate(**{**defaults, **fields})


def test_decisions_say_why_a_ticket_is_not_surveyed():
    Skip = Invitation.SkipReason
    decide = lambda c, r=DEFAULT: rules.decide(c, r, now=NOW, budget_days=14)  # noqa: E731
    assert decide(candidate()).instrument == "csat"
    assert decide(candidate(), None).skip_reason == Skip.NO_RULE
    assert decide(candidate(reachable=False)).skip_reason == Skip.UNREACHABLE
    assert decide(candidate(opted_out=True)).skip_reason == Skip.OPTED_OUT
    assert decide(candidate(follow_up_open=True)).skip_reason == Skip.FOLLOW_UP_OPEN
    recent = candidate(last_invited_at=NOW - timedelta(days=3))
    assert decide(recent).skip_reason == Skip.BUDGET
    half = R("half", is_default=True, sample_percent=50)
    out = next(pk for pk in range(1, 100) if not rules.in_sample(pk, 50))
    assert decide(candidate(ticket_id=out), half).skip_reason == Skip.NOT_SAMPLED


def test_a_rule_asks_csat_with_ces_after_it_or_ces_alone():
    both = rules.decide(candidate(), R("b", is_default=True, ask_ces=True), now=NOW, budget_days=14)
    assert (both.instrument, both.asks_ces) == ("csat", True)
    alone = rules.decide(
        candidate(), R("c", is_default=True, ask_csat=False, ask_ces=True), now=NOW, budget_days=14
    )
    assert (alone.instrument, alone.asks_ces) == ("ces", False)


def test_a_ticket_is_due_once_its_rule_delay_has_passed():
    assert not rules.is_due(NOW - timedelta(minutes=59), DEFAULT, now=NOW)
    assert rules.is_due(NOW - timedelta(minutes=60), DEFAULT, now=NOW)
