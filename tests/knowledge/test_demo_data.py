"""The demo knowledge base's data files (`knowledge/demo/`): what the loader and readers need."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from knowledge.demo import files
from knowledge.models import Article, Revision, SynonymGroup
from tickets.management.commands.seed_demo import SERVICES, SUBJECTS

Status, Audience = Article.Status, Article.Audience
WORD = re.compile(r"[a-z0-9]+")
TAG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def test_every_article_file_reads_with_what_readers_and_the_loader_need():
    specs = files.read_articles()
    slugs = {spec.slug for spec in specs}
    services = {name for name, _, _ in SERVICES}
    assert 55 <= len(specs) <= 70
    for spec in specs:
        assert spec.title and spec.summary and spec.tags and spec.queries, spec.slug
        assert spec.summary.endswith("."), spec.slug
        assert set(spec.services) <= services and spec.services, spec.slug
        assert spec.status in Status.values and spec.audience in Audience.values, spec.slug
        assert 1 <= spec.popularity <= 5 and 0 <= spec.helpfulness <= 1, spec.slug
        if spec.status == Status.RETIRED:
            assert spec.superseded_by in slugs, spec.slug
            assert spec.retired_days_ago is not None and spec.retired_days_ago < spec.age_days
        if spec.history:
            assert spec.history.days_ago < spec.age_days, spec.slug
            assert spec.first_body != spec.body, spec.slug


def test_tags_are_a_small_vocabulary_that_articles_share():
    specs = files.read_articles()
    uses = Counter(tag for spec in specs for tag in spec.tags)
    for spec in specs:
        assert 2 <= len(spec.tags) <= 5 and len(set(spec.tags)) == len(spec.tags), spec.slug
        assert all(TAG.fullmatch(tag) for tag in spec.tags), spec.slug
    # Other words for the same thing are synonyms, not more tags.
    assert sum(count > 1 for count in uses.values()) >= len(uses) / 2


def test_every_demo_ticket_subject_has_a_published_article_that_answers_it():
    answered = {
        subject
        for spec in files.read_articles()
        if spec.status == Status.PUBLISHED
        for subject in spec.answers
    }
    subjects = {subject for subjects in SUBJECTS.values() for subject in subjects}
    assert subjects <= answered
    assert answered <= subjects, "an article answers a subject no demo ticket has"
    assert set(files.read_searches().ticket_gaps) <= subjects


def test_edits_in_review_change_published_articles():
    specs = {spec.slug: spec for spec in files.read_articles()}
    edits = files.read_edits()
    assert len([edit for edit in edits if edit.state == Revision.State.IN_REVIEW]) >= 3
    for edit in edits:
        assert specs[edit.slug].status == Status.PUBLISHED, edit.slug
        assert edit.body != specs[edit.slug].body and edit.comment, edit.slug


def test_content_gaps_ask_for_words_no_article_has():
    corpus = set()
    for spec in files.read_articles():
        corpus |= set(
            WORD.findall(" ".join([spec.title, spec.summary, spec.body, *spec.tags]).lower())
        )
    for queries, weight in files.read_searches().gaps:
        assert weight > 0
        for query in queries:
            unknown = [
                word for word in WORD.findall(query) if len(word) >= 4 and word not in corpus
            ]
            assert unknown, f"{query!r}: an article has all its words, so it is not a gap"


def test_synonyms_cover_the_words_people_mix_up():
    groups = [set(SynonymGroup(words=words).word_list) for words in files.read_synonyms()]
    for words in [
        {"wifi", "wi-fi", "wireless", "wlan"},
        {"pw", "password", "passcode"},
        {"mfa", "2fa", "two-factor", "authenticator"},
        {"laptop", "notebook", "computer"},
        {"email", "mail", "outlook"},
        {"printer", "printing", "print"},
        {"vpn", "remote access"},
    ]:
        assert any(words <= group for group in groups), words
    every = [word for group in groups for word in group]
    assert len(every) == len(set(every)), "a word in two groups widens both"


def test_the_knowledge_demo_needs_the_ticket_demo(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_knowledge", stdout=StringIO())
    assert not Article.objects.exists()
