"""The search log's accounting: one row per settled search, and what followed it."""

import threading
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from knowledge import searchlog
from knowledge.models import SearchLog
from tests.factories import ArticleFactory, TicketFactory

Source = SearchLog.Source


def log(*args, **kwargs) -> SearchLog:
    row = searchlog.record_search(*args, **kwargs)
    assert row is not None
    return row


def type_into_box(user, box, text, **kwargs):
    """What a debounced suggestion box sends as a person types `text`, pausing now and then."""
    for end in range(3, len(text), 3):
        log(user, text[:end], results_count=end, source=Source.SUGGESTION, box=box, **kwargs)
    return log(user, text, results_count=2, source=Source.SUGGESTION, box=box, **kwargs)


def test_a_suggestion_box_keeps_one_row_with_the_query_settled_on(requester):
    row = type_into_box(requester, "box-1", "printer offline on floor 3")
    assert SearchLog.objects.count() == 1
    row.refresh_from_db()
    assert (row.query, row.normalised, row.results_count) == (
        "printer offline on floor 3",
        "printer offline on floor 3",
        2,
    )
    # Another box (another form), and a plain search, are searches of their own.
    type_into_box(requester, "box-2", "vpn")
    searchlog.record_search(requester, "vpn", results_count=1)
    assert SearchLog.objects.count() == 3


def test_each_request_of_a_box_costs_two_queries(requester, django_assert_max_num_queries):
    type_into_box(requester, "box-1", "printer")
    with django_assert_max_num_queries(4):  # the update, the row, and a savepoint's pair
        searchlog.record_search(
            requester, "printer jam", results_count=1, source=Source.SUGGESTION, box="box-1"
        )


def test_after_a_result_was_opened_the_box_starts_a_new_row(requester):
    article = ArticleFactory.create()
    first = type_into_box(requester, "box-1", "printer")
    assert searchlog.record_open(first.pk, requester, article)
    second = type_into_box(requester, "box-1", "scanner")
    assert second.pk != first.pk
    first.refresh_from_db()
    assert (first.query, first.opened_article) == ("printer", article)


def test_a_box_id_longer_than_its_column_still_keeps_one_row(requester):
    box = "b" * 100  # bug: the row was looked up by the whole id and saved with 40 characters
    type_into_box(requester, box, "outlook keeps asking")
    assert SearchLog.objects.count() == 1
    assert SearchLog.objects.get().box == "b" * 40


def test_control_characters_and_long_queries_are_cleaned(requester):
    # Postgres refuses a NUL in text: the query came from a browser, so it must not fail.
    row = log(requester, "pass\x00word\n\treset", results_count=0)
    row.refresh_from_db()
    assert row.query == "pass word reset"
    long = log(requester, "word " * 100, results_count=0)
    assert len(long.query) <= 200 and len(long.normalised) <= 200


def test_nothing_is_logged_for_a_letter_or_for_someone_signed_out(requester):
    from django.contrib.auth.models import AnonymousUser

    assert searchlog.record_search(requester, " p ", results_count=3) is None
    assert searchlog.record_search(AnonymousUser(), "printer", results_count=3) is None  # type: ignore[arg-type]
    assert not SearchLog.objects.exists()


def test_an_unknown_source_is_refused(requester):
    with pytest.raises(ValueError):
        searchlog.record_search(requester, "printer", results_count=1, source="x" * 30)


def test_the_database_allows_one_open_row_per_box(requester):
    SearchLog.objects.create(user=requester, query="a", normalised="a", box="box-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        SearchLog.objects.create(user=requester, query="b", normalised="b", box="box-1")


@pytest.mark.needs("postgres")
@pytest.mark.django_db(transaction=True)
def test_requests_racing_from_one_box_keep_one_row():
    from tests.factories import UserFactory

    people = UserFactory.create_batch(4)
    start = threading.Barrier(8)
    errors = []

    def send(person, text):
        try:
            start.wait()
            searchlog.record_search(
                person, text, results_count=1, source=Source.SUGGESTION, box="box-1"
            )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(person, text))
        for person in people
        for text in ("printer", "printer jam")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(SearchLog.objects.values_list("user", flat=True)) == sorted(p.pk for p in people)


def test_opening_a_result_counts_once_and_only_for_ones_own_search(requester, other_requester):
    article, other = ArticleFactory.create(), ArticleFactory.create()
    row = log(requester, "printer", results_count=2)
    assert not searchlog.record_open(row.pk, other_requester, article)
    assert searchlog.record_open(row.pk, requester, article)
    assert not searchlog.record_open(row.pk, requester, other)
    assert not searchlog.record_open(None, requester, other)
    row.refresh_from_db()
    assert row.opened_article == article and row.opened_at is not None


def test_a_ticket_marks_the_persons_searches_of_the_last_half_hour(requester, other_requester):
    now = timezone.now()
    recent = log(requester, "printer", results_count=0, now=now - timedelta(minutes=10))
    old = log(requester, "scanner", results_count=0, now=now - timedelta(minutes=40))
    solved = log(requester, "toner", results_count=1, now=now - timedelta(minutes=5))
    searchlog.record_solved([solved.pk], requester)
    theirs = log(other_requester, "printer", results_count=0, now=now)
    ticket = TicketFactory.create(requester=requester)
    assert searchlog.record_ticket(requester, ticket, now=now) == 1
    assert SearchLog.objects.get(pk=recent.pk).ticket == ticket
    for row in (old, solved, theirs):
        assert SearchLog.objects.get(pk=row.pk).ticket is None


def test_solved_marks_only_ones_own_searches(requester, other_requester):
    mine = log(requester, "printer", results_count=1)
    theirs = log(other_requester, "printer", results_count=1)
    assert searchlog.record_solved([mine.pk, theirs.pk, "1; drop"], requester) == 1  # type: ignore[list-item]
    assert SearchLog.objects.get(pk=mine.pk).solved
    assert not SearchLog.objects.get(pk=theirs.pk).solved


@pytest.mark.needs("postgres")
@pytest.mark.django_db(transaction=True)
def test_a_search_is_logged_without_waiting_for_the_disk_and_only_its_own_commit(requester):
    from django.test.utils import CaptureQueriesContext

    for box in ("", "box-1"):
        with CaptureQueriesContext(connection) as captured:
            row = searchlog.record_search(requester, "printer offline", results_count=2, box=box)
        assert row is not None and SearchLog.objects.filter(pk=row.pk).exists()
        assert "SET LOCAL synchronous_commit TO OFF" in [q["sql"] for q in captured]
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone() == ("on",)  # the next transaction waits as ever
    # Inside another transaction its commit keeps its own durability.
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        searchlog.record_search(requester, "toner", results_count=1)
    assert not [q for q in captured if "synchronous_commit" in q["sql"]]
