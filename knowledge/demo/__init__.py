"""The knowledge base of the demo that `make run` starts: articles and their history.

The articles are data in this folder (see `files`): Markdown with a TOML header, edits waiting
for review, synonym groups and the searches that found nothing. `load()` writes the articles
with their revisions (`writing`), then plays a few weeks of readers (`history`): searches,
opened articles, votes, deflections and links from the demo's tickets.

It writes the models directly, like the tickets' demo, and needs that demo's people, services
and tickets (`manage.py seed_demo`). A seeded random makes the same database get the same
history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from knowledge.models import Article
from servicedesk import versions

from . import history
from .files import ArticleSpec, read_articles, read_edits, read_searches, read_synonyms
from .writing import EDITOR, ArticleWriter, DemoDataMissing, add_synonyms, make_editor

__all__ = ["EDITOR", "DemoDataMissing", "Loaded", "is_loaded", "load"]


@dataclass(frozen=True)
class Loaded:
    articles: int
    revisions: int
    searches: int
    votes: int
    deflections: int
    ticket_links: int


def is_loaded(specs: list[ArticleSpec] | None = None) -> bool:
    specs = read_articles() if specs is None else specs
    return Article.objects.filter(slug__in=[spec.slug for spec in specs]).exists()


def load(*, now: datetime, seed: int = 12) -> Loaded | None:
    """Write the demo's knowledge base as of `now`; None when it is already there.

    Raises DemoDataMissing when the ticket demo's people or services are not loaded.
    """
    specs = read_articles()
    if is_loaded(specs):
        return None
    rng = random.Random(seed)  # nosec B311  # repeatable demo data
    with transaction.atomic():
        writer = ArticleWriter(rng, now=now, specs=specs)
        articles = writer.write()
        revisions = writer.write_edits(read_edits(), articles)
        add_synonyms(read_synonyms())
        # Searches in running processes widen with the synonyms, and weigh the new articles, now.
        versions.bump(versions.SYNONYMS, versions.ARTICLES)
        make_editor(writer.people[EDITOR])
        played = history.play(
            rng, now=now, specs=specs, articles=articles, searches=read_searches()
        )
    return Loaded(
        articles=len(articles),
        revisions=revisions,
        searches=played.searches,
        votes=played.votes,
        deflections=played.deflections,
        ticket_links=played.ticket_links,
    )
