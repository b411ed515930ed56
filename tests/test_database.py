"""Prepared statements on Postgres, and the searches that must be planned for their words."""

import pytest
from django.db import connection, transaction

from servicedesk.database import custom_plans

# Prepared statements are a Postgres setting.
postgres_only = pytest.mark.needs("postgres")


def plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db
def test_searches_are_planned_for_their_words_and_the_connection_goes_back():
    assert connection.settings_dict["OPTIONS"]["server_side_binding"]
    assert plan_cache_mode() == "auto"
    with custom_plans():
        assert plan_cache_mode() == "force_custom_plan"
    assert plan_cache_mode() == "auto"
    with custom_plans(when=False):
        assert plan_cache_mode() == "auto"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_failed_transaction_leaves_no_custom_plans_behind():
    with pytest.raises(ZeroDivisionError), transaction.atomic(), custom_plans():
        assert plan_cache_mode() == "force_custom_plan"
        1 / 0  # noqa: B018
    assert plan_cache_mode() == "auto"
