"""How search reads a query, keeps its index and marks its snippets, on either database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from knowledge import querying, search_cache, sqlite_index
from knowledge.models import Article, SynonymGroup, Tag
from knowledge.search import search, search_results
from knowledge.snippets import plain_text, snippet
from tests.factories import ArticleFactory


def slugs(user, query, **kwargs):
    return [hit.article.slug for hit in search(user, query, **kwargs)]


def test_a_query_drops_stop_words_and_filler_and_keeps_phrases_of_a_synonym_group():
    groups = [(("wi", "fi"), ("wifi",), ("wireless",)), (("sign", "in"), ("login",))]
    terms = querying.terms("Hi, my Wi-Fi won't let me sign in please!", groups)
    assert [t.text for t in terms] == ["wi fi", "sign in"]
    assert [a.text for a in terms[0].strong] == ["wi fi", "wifi", "wireless"]
    # The last word may still be being typed; a long word also matches by its root.
    (term,) = querying.terms("printing", [])
    assert [(a.text, a.prefix) for a in term.alternatives] == [
        ("printing", False),
        ("printing", True),
        ("print", True),
    ]
    assert querying.terms("printing ", [])[0].strong == [querying.Alternative(("printing",))]
    assert querying.terms("the and of to please", []) == []
    assert len(querying.terms(" ".join(f"word{n}" for n in range(30)), [])) == querying.MAX_TERMS


def test_what_is_typed_never_reaches_the_database_as_query_syntax(requester):
    ArticleFactory.create(slug="quotes", title="Printer offline", summary="It's offline")
    for hostile in [
        "printer' | 'x",
        'printer" OR body:*',
        "printer:* & !",
        "(printer",
        "printer NEAR/2",
        "-printer",
        "'; DROP TABLE knowledge_article; --",
    ]:
        assert slugs(requester, hostile) in (["quotes"], []), hostile
    assert slugs(requester, "printer' | 'x") == ["quotes"]


def test_snippets_are_escaped_with_only_marks_added(requester):
    ArticleFactory.create(
        slug="hostile",
        title="<script>alert(1)</script> Printer",
        summary="",
        body='Click <img src=x onerror="alert(1)"> then the **printer** & "queue" <b>now</b>.',
    )
    (hit,) = search(requester, "printer")
    assert "<script>" not in hit.title and "&lt;script&gt;" in hit.title
    assert "<mark>Printer</mark>" in hit.title
    assert "<img" not in hit.snippet and "<b>" not in hit.snippet
    assert "<mark>printer</mark>" in hit.snippet and "&amp;" in hit.snippet
    assert str(hit.snippet).replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_a_snippet_is_the_summary_or_the_best_stretch_of_the_body():
    (term,) = querying.terms("toner", [])
    body = " ".join(["filler"] * 100) + " replace the toner cartridge " + " ".join(["more"] * 100)
    marked = snippet("How to print.", body, [term])
    assert str(marked).startswith("… ") and str(marked).endswith(" …")
    assert "<mark>toner</mark>" in marked
    assert snippet("Change the toner.", body, [term]) == "Change the <mark>toner</mark>."
    assert plain_text(
        "# Title\n\n1. **Open** [the portal](https://x.example)\n\n```\ncode\n```"
    ) == ("Title. Open the portal code")
    # A table's cells read as words; its delimiter row is not shown as dashes.
    table = "| Network | For |\n| --- | :---: |\n| ExampleCorp | laptops |\n|:--|--:|\n"
    assert plain_text(table) == "Network For ExampleCorp laptops"
    # A heading is a sentence of its own; a mark taken away leaves no space before a stop.
    assert plain_text("## What happens next\nSecurity checks it.\n\nChoose **Staff**.") == (
        "What happens next. Security checks it. Choose Staff."
    )


def test_synonyms_saved_in_the_admin_widen_the_next_search(
    client_as, admin_user, requester, django_capture_on_commit_callbacks
):
    ArticleFactory.create(slug="wifi", title="Connect to the office Wi-Fi")
    assert slugs(requester, "wlan") == []
    client = client_as(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:knowledge_synonymgroup_add"), {"words": "wifi, wi-fi, wlan"}
        )
    assert response.status_code == 302
    assert slugs(requester, "wlan") == ["wifi"]
    group = SynonymGroup.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:knowledge_synonymgroup_delete", args=[group.pk]), {"post": "yes"}
        )
    assert slugs(requester, "wlan") == []


def test_a_tag_renamed_in_the_admin_shows_in_the_next_search(
    client_as, admin_user, requester, django_capture_on_commit_callbacks
):
    article = ArticleFactory.create(slug="phone", title="Set up the phone", body="Steps.")
    tag = Tag.objects.create(name="blackberry")
    article.tags.add(tag)
    assert slugs(requester, "blackberry") == ["phone"]  # kept for the next reader
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(admin_user).post(
            reverse("admin:knowledge_tag_change", args=[tag.pk]), {"name": "android"}
        )
    assert response.status_code == 302
    assert slugs(requester, "blackberry") == []
    assert slugs(requester, "android phone") == ["phone"]


def test_the_synonym_groups_are_read_once_per_version(requester, django_assert_num_queries):
    SynonymGroup.objects.create(words="pw, password")
    querying.synonym_groups()
    with django_assert_num_queries(0):
        assert (("password",), ("pw",)) in querying.synonym_groups()


@pytest.fixture
def changed(django_capture_on_commit_callbacks):
    """Say the articles changed, as the knowledge services (and the tag admin) do after a
    write: what search kept is dropped. The writes below go straight to the rows, to show
    the database's index keeps up with them whatever the road."""

    def say() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            search_cache.changed()

    return say


def test_tags_are_searched_and_kept_when_they_change(requester, changed):
    article = ArticleFactory.create(slug="tagged", title="Set up the phone", body="Steps.")
    tag = Tag.objects.create(name="blackberry")
    article.tags.add(tag)
    assert slugs(requester, "blackberry") == ["tagged"]
    tag.name = "android"
    tag.save()
    changed()
    assert slugs(requester, "blackberry") == [] and slugs(requester, "android") == ["tagged"]
    article.tags.remove(tag)
    changed()
    assert slugs(requester, "android") == []
    # Saving an article that was loaded before its tags changed keeps the new tags' words.
    stale = Article.objects.get(pk=article.pk)
    article.tags.add(tag)
    stale.title = "Set up your phone"
    stale.save()
    changed()
    assert slugs(requester, "android") == ["tagged"]


def test_edits_publishing_and_retiring_show_in_the_next_search(requester, changed):
    article = ArticleFactory.create(
        slug="draft", title="Scanner to email", status=Article.Status.DRAFT
    )
    assert slugs(requester, "scanner") == []
    Article.objects.filter(pk=article.pk).update(status=Article.Status.PUBLISHED)
    changed()
    assert slugs(requester, "scanner") == ["draft"]
    article.refresh_from_db()
    article.title = "Scan to a folder"
    article.save(update_fields=["title"])
    changed()
    assert slugs(requester, "scanner") == [] and slugs(requester, "folder") == ["draft"]
    Article.objects.filter(pk=article.pk).update(status=Article.Status.RETIRED)
    changed()
    assert slugs(requester, "folder") == []
    article.delete()
    assert slugs(requester, "folder") == []


def test_a_search_costs_the_same_queries_whatever_it_finds(requester):
    for n in range(12):
        ArticleFactory.create(title=f"Printer {n} offline", body="Restart the printer spooler.")
    search(requester, "printer")  # the synonym groups, read once per process

    def queries(query, limit=10):
        with CaptureQueriesContext(connection) as captured:
            search(requester, query, limit=limit)
        return len(captured)

    # The terms' frequencies, the ranking, the articles shown.
    assert queries("printer offline") == queries("printer spooler") == 3
    assert queries("scanner") <= 3  # found nothing, no fix: nothing to rank
    assert queries("printr") <= 7  # a typo: its fixes and their frequencies too
    # Asked again, the weights (the typo's fix among them) and the ranking are the shared
    # cache's: only the articles shown are read, whatever the query.
    assert queries("printer offline") == queries("printr") == queries("printer") == 1
    assert queries("printer", limit=5) == 2  # another page of results: ranked, not weighed
    assert queries("scanner") <= 3  # a word no article holds is counted every time


def test_a_kept_ranking_never_shows_what_the_reader_may_no_longer_read(requester):
    shown = ArticleFactory.create(title="Printer offline", body="Restart the spooler.")
    hidden = ArticleFactory.create(title="Printer jams", body="Open the tray.")
    assert {hit.article for hit in search(requester, "printer")} == {shown, hidden}
    # Retired behind the services' back, so nothing says the ranking is stale: the kept
    # ranking still lists it, but the articles shown are read afresh for the reader.
    Article.objects.filter(pk=hidden.pk).update(status=Article.Status.RETIRED)
    assert [hit.article for hit in search(requester, "printer")] == [shown]
    Article.objects.filter(pk=shown.pk).update(audience=Article.Audience.AGENTS)
    assert search(requester, "printer") == []


def test_weights_are_counted_afresh_once_the_articles_change(
    requester, manager, django_capture_on_commit_callbacks
):
    from knowledge import services

    article = ArticleFactory.create(title="Printer offline", body="Restart the spooler.")
    other = ArticleFactory.create(title="Printer jams", body="Open the tray.")

    def counted(query):
        """Whether the search counted its terms (else it took the kept weights)."""
        with CaptureQueriesContext(connection) as captured:
            search(requester, query)
        return any(q["sql"].startswith("SELECT (SELECT") for q in captured.captured_queries)

    assert counted("printer") and not counted("printer")
    with django_capture_on_commit_callbacks(execute=True):
        services.retire_article(article, by=manager)
    assert counted("printer") and not counted("printer")
    assert [hit.article for hit in search(requester, "printer")] == [other]


@pytest.mark.needs("postgres")
def test_postgres_keeps_a_weighted_document_with_indexes(requester):
    article = ArticleFactory.create(
        title="Printer offline", summary="Queue stuck", body="Restart it."
    )
    article.tags.add(Tag.objects.create(name="spooler"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT words::text FROM knowledge_article WHERE id = %s", [article.pk])
        (words,) = cursor.fetchone()
        assert "'printer':1A" in words and "'spooler'" in words and "'restart'" in words
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename IN ('knowledge_article', 'knowledge_tag')"
        )
        indexes = " ".join(row[0] for row in cursor.fetchall())
    assert "gin (words)" in indexes and "gin (head_words)" in indexes
    assert "gin (title gin_trgm_ops)" in indexes
    assert "gin (name gin_trgm_ops)" in indexes


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own index")
def test_sqlite_puts_its_index_back_when_a_table_rebuild_took_the_triggers(requester, db):
    ArticleFactory.create(slug="before", title="Printer offline")
    with connection.cursor() as cursor:
        for name in sqlite_index.TRIGGERS:
            cursor.execute(f"DROP TRIGGER {name}")
    ArticleFactory.create(
        slug="during", title="Printer jammed"
    )  # written while the triggers were gone
    assert sqlite_index.ensure(connection) is True
    assert sorted(slugs(requester, "printer")) == ["before", "during"]
    assert sqlite_index.ensure(connection) is False


def test_results_count_only_what_the_reader_may_read(requester, agent):
    ArticleFactory.create(title="VPN for agents", audience=Article.Audience.AGENTS)
    ArticleFactory.create(title="VPN from home")
    ArticleFactory.create(title="VPN draft", status=Article.Status.DRAFT)
    assert search_results(requester, "vpn").total == 1
    assert search_results(agent, "vpn").total == 2


def test_a_repeated_search_shows_the_same_marked_snippets_without_reading_bodies(requester):
    ArticleFactory.create(
        title="Printer offline",
        summary="When nothing prints.",
        body=" ".join(["filler"] * 60) + " restart & the spooler " + "more " * 60,
    )
    first = search(requester, "spooler", bodies=False)
    with CaptureQueriesContext(connection) as captured:
        again = search(requester, "spooler", bodies=False)
    assert [(h.title, h.snippet) for h in again] == [(h.title, h.snippet) for h in first]
    assert "restart &amp; the <mark>spooler</mark>" in again[0].snippet
    [read] = captured.captured_queries
    assert '"knowledge_article"."body"' not in read["sql"]


def test_a_spelling_fix_is_a_slip_or_two_not_another_word():
    assert querying.best_fix("pasword", ["password"]) == "password"
    assert querying.best_fix("outlok", ["outlook"]) == "outlook"
    assert querying.best_fix("disconecting", ["disconnects"]) == "disconnects"
    # "realy" (really) is two slips from "read": a short word takes one.
    assert querying.best_fix("realy", ["read"]) is None
    assert querying.edits("realy", "read") == 2 and querying.edits("teh", "the") == 1
