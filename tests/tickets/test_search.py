"""Ticket search: numbers, words in the subject or the description, and who may find what."""

import pytest
from django.db import connection

from tests.factories import ServiceFactory, TeamFactory, TicketFactory
from tickets.models import Ticket

# Full-text search and its indexes are Postgres.
postgres_only = pytest.mark.needs("postgres")


def found(text: str, tickets=None) -> set[int]:
    tickets = Ticket.objects.all() if tickets is None else tickets
    return set(tickets.search(text).values_list("pk", flat=True))


@pytest.fixture
def laptop(service):
    return TicketFactory.create(
        service=service,
        subject="Laptop will not start",
        description="The screen shows error 0x80070005 after the update, see INC-000777.",
    )


def test_words_of_the_description_are_found(laptop):
    assert laptop.pk in found("screen update")
    assert laptop.pk in found("0x80070005")
    assert laptop.pk not in found("screen keyboard")  # every word must be there


def test_words_may_come_from_subject_and_description_together(laptop):
    assert laptop.pk in found("laptop screen")


def test_the_last_word_may_be_unfinished(ticket, service):
    vpn = TicketFactory.create(service=service, subject="VPN drops at the hotel")
    assert ticket.pk in found("outlook passw")
    assert found("vp") == {vpn.pk}


def test_a_number_finds_its_ticket_and_the_tickets_mentioning_it(service):
    target = TicketFactory.create(service=service, subject="Intranet is down")
    mention = TicketFactory.create(service=service, subject=f"Error {target.pk} on every page")
    in_description = TicketFactory.create(
        service=service, subject="Follow-up", description=f"Same as {target.number} last week."
    )
    unrelated = TicketFactory.create(service=service, subject="Mouse is broken")
    for text in (str(target.pk), f"{target.pk:06d}", target.number):
        assert target.pk in found(text), text
    assert {target.pk, mention.pk, in_description.pk} <= found(str(target.pk))
    assert {target.pk, in_description.pk} <= found(f"{target.pk:06d}")
    assert in_description.pk in found(target.number)
    assert unrelated.pk not in found(str(target.pk))


def test_codes_with_hyphens_are_found_by_their_parts(laptop):
    assert laptop.pk in found("INC-000777")
    assert laptop.pk in found("000777")


@postgres_only
def test_words_are_matched_by_their_stem(laptop):
    assert laptop.pk in found("screens updates")
    assert laptop.pk in found("starting laptops")


def test_search_never_reaches_past_what_the_user_sees(agent, other_agent, laptop):
    elsewhere = TicketFactory.create(
        service=ServiceFactory.create(owner_team=TeamFactory.create()),
        subject="Laptop screen flickers",
        description="The screen flickers after the update.",
    )
    visible = Ticket.objects.visible_to(other_agent)
    for text in ("laptop", "screen update", str(laptop.pk), laptop.number, "0x80070005"):
        assert laptop.pk not in found(text, visible), text
    assert found("laptop", Ticket.objects.visible_to(agent)) == {laptop.pk}
    assert elsewhere.pk not in found("screen", Ticket.objects.visible_to(agent))


def plan(text: str) -> str:
    tickets = Ticket.objects.search(text).order_by()
    with connection.cursor() as cursor:
        # Planned as on a big table, where a few index entries beat reading every row:
        # what is left is a bitmap over the indexes that serve the condition, if any do.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    return tickets.values_list("pk", flat=True).explain()


@postgres_only
def test_word_search_reads_the_full_text_index(laptop):
    assert "Bitmap Index Scan on ticket_words_doc" in plan("screen update")
    assert "Bitmap Index Scan on ticket_words_doc" in plan("INC-000042")
    # The stored document is read, never rebuilt from the subject and description.
    assert "to_tsvector" not in plan("screen update")


@postgres_only
def test_stored_words_follow_every_change_of_subject_or_description(laptop):
    laptop.subject = "Docking station flickers"
    laptop.save(update_fields=["subject"])
    assert laptop.pk in found("docking flicker") and laptop.pk not in found("laptop start")
    Ticket.objects.filter(pk=laptop.pk).update(description="Blue screen on wake")
    assert laptop.pk in found("blue wake") and laptop.pk not in found("0x80070005")
    created = TicketFactory.create(service=laptop.service, subject="Keyboard missing keys")
    assert created.pk in found("keyboard")
