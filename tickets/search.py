"""Word search over tickets: full text over subject and description, substrings of the subject.

On Postgres a ticket's words are one weighted document, its subject (weight A) and its
description (weight B) in the english configuration, which stems words and drops stop
words but keeps numbers and codes (404, 0x80070005) as they are. Hyphens count as spaces
on both sides, so a code like INC-000123 or ERR-42 is two words that "000123" or "42"
finds (Postgres would read "-000123" as a negative number and "000123" would miss it). Two GIN
indexes over that document, one for every ticket and one for open tickets only
(migration 0013), serve `document @@ plainto_tsquery(...)`; the document is spelled here
exactly as in the indexes, with its configuration as a literal rather than a parameter,
because Postgres uses an expression index only for the same expression.

Full text matches whole words. The subject keeps its substring match (`printer` finds
"Printers", `outlo` finds "Outlook"), served by the trigram indexes of migrations 0004
and 0006. SQLite, the development database, has neither index and compares substrings of
both fields.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, F, Func, Q, Value

MAX_WORDS = 8
# Trigram indexes find a substring only through its three-letter runs: a search made of
# shorter words alone would read the whole index, so those go through full text only.
MIN_SUBSTRING = 3
DOCUMENT = (
    "(setweight(to_tsvector('english'::regconfig, translate({subject}, '-', ' ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate({description}, '-', ' ')), 'B'))"
)


class MatchesWords(Func):
    """True when a ticket's subject and description hold every word of `text`, stemmed."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, text: str) -> None:
        super().__init__(F("subject"), F("description"), Value(text))

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        raise NotImplementedError("full-text search needs Postgres")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        (subject, _), (description, _), (text, params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        document = DOCUMENT.format(subject=subject, description=description)
        return f"{document} @@ plainto_tsquery('english'::regconfig, {text})", list(params)


def words_match(text: str, *, vendor: str) -> Q:
    """Tickets holding every word of `text`: in the subject or description, or inside the subject."""
    words = text.split()[:MAX_WORDS]
    if vendor != "postgresql":
        query = Q()
        for word in words:
            query &= Q(subject__icontains=word) | Q(description__icontains=word)
        return query
    matches_words = Q(MatchesWords(" ".join(words).replace("-", " ")))
    if not any(len(word) >= MIN_SUBSTRING for word in words):
        return matches_words
    in_subject = Q()
    for word in words:
        in_subject &= Q(subject__icontains=word)
    # The subject comes first: Postgres rechecks each row the trigram index found with the
    # whole condition, left to right, and a row whose subject matches then never has its
    # document rebuilt from the two texts (the index stores its words, not the document).
    return in_subject | matches_words
