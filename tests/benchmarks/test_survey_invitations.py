"""Issue 13's benchmark: one beat cycle writes invitations for 10,000 resolved tickets in < 10 s."""

import pytest

from benchmarks import surveys

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.needs("postgres")]


def test_one_cycle_invites_ten_thousand_resolved_tickets_in_under_ten_seconds(capsys):
    figures = surveys.time_invitation_cycle(due=10_000, history=50_000)
    with capsys.disabled():
        print(f"\nsurvey invitation cycle: {figures}")
    assert figures["invited"] == figures["invitations"] == figures["messages"] == 10_000
    assert figures["seconds"] < 10
