"""The queue's search box: numbers, words in subject and description, in the queue's order."""

from django.db import connection
from django.urls import reverse

from tests.factories import TicketFactory
from tickets.models import Priority

# On Postgres a search is planned for its words: one statement sets that up, one resets it.
CUSTOM_PLANS = 2 if connection.settings_dict["OPTIONS"].get("server_side_binding") else 0


def search(client, text: str, **params) -> str:
    query = {"queue": "all", "q": text, **params}
    return client.get(reverse("workspace:queue"), query).content.decode()


def test_search_finds_words_of_the_description(client_as, agent, service):
    wanted = TicketFactory.create(
        service=service, subject="Cannot print", description="The spooler crashed."
    )
    other = TicketFactory.create(
        service=service, subject="Cannot log in", description="Wrong password."
    )
    page = search(client_as(agent), "spooler")
    assert wanted.subject in page and other.subject not in page


def test_number_search_puts_that_ticket_first_then_its_mentions(client_as, agent, service):
    target = TicketFactory.create(service=service, subject="Intranet is slow", priority=Priority.P4)
    mention = TicketFactory.create(
        service=service, subject=f"Error {target.pk} on the intranet", priority=Priority.P1
    )
    for sort in ("priority", "due", "-age", "updated"):
        page = search(client_as(agent), str(target.pk), sort=sort)
        assert page.index(target.subject) < page.index(mention.subject), sort
    page = search(client_as(agent), "intranet")  # words alone keep the queue's order
    assert page.index(mention.subject) < page.index(target.subject)


def test_search_in_closed_history_keeps_the_sort(client_as, agent, service):
    old = TicketFactory.create(service=service, subject="Old VPN drop", status="closed")
    new = TicketFactory.create(service=service, subject="New VPN drop", status="closed")
    page = search(client_as(agent), "vpn drop", status="closed", sort="-age")
    assert page.index(new.subject) < page.index(old.subject)
    page = search(client_as(agent), "vpn drop", status="closed", sort="age")
    assert page.index(old.subject) < page.index(new.subject)


def test_search_page_query_count_is_fixed(client_as, agent, service, django_assert_num_queries):
    client = client_as(agent)
    TicketFactory.create_batch(
        2, service=service, description="Printer error 404, as in INC-000404"
    )
    search(client, "printer")  # reference data read; each new query draws a cold filter bar
    with django_assert_num_queries(9 + CUSTOM_PLANS) as few:
        search(client, "printer error")
    TicketFactory.create_batch(
        20, service=service, description="Printer error 404, as in INC-000404", assignee=agent
    )
    for text in ("error printer", "404", "INC-000404"):
        with django_assert_num_queries(len(few.captured_queries)):
            search(client, text)
