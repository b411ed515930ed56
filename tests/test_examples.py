"""Every Hypothesis example starts from the state its test's fixtures made.

Hypothesis runs many examples inside one pytest test, so function-scoped fixtures (and
the test's transaction) are shared by them all; tests/conftest.py undoes each example's
writes when it ends.
"""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import TicketFactory
from tickets.models import Ticket


@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(more=st.integers(min_value=1, max_value=3))
def test_an_example_sees_no_rows_an_earlier_example_wrote(ticket, more):
    assert list(Ticket.objects.values_list("pk", flat=True)) == [ticket.pk]
    TicketFactory.create_batch(more, requester=ticket.requester, service=ticket.service)
    assert Ticket.objects.count() == 1 + more
