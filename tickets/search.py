"""Word search over tickets: full text over the subject and the description.

On Postgres a ticket's words are one weighted document, its subject (weight A) and its
description (weight B) in the english configuration, which stems words and drops stop
words but keeps numbers and codes (404, 0x80070005) as they are. Hyphens count as spaces,
so a code like INC-000123 or ERR-42 is two words that "000123" or "42" finds (Postgres
would read "-000123" as a negative number, which "000123" misses). The last word of a
search also matches as the start of a word, so "outlo" finds Outlook and "vp" finds VPN,
as the substring search of the subject it replaces did.

The document is stored in the `words` column, which a trigger keeps on every insert and
every change of subject or description (migration 0016), with two GIN indexes: one for
every ticket and one for open tickets only. A stored document is read where the planner
checks rows (a common word in closed history, a prefix, which Postgres rechecks); an
indexed expression had to be rebuilt for each of them, 15-40 us a row. The column is
not a field of the model: Django never reads or writes it.

SQLite, the development database, has no such column and compares substrings of both fields.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn

from django.db.models import BooleanField, Func, Q, Value

MAX_WORDS = 8


class MatchesWords(Func):
    """True when a ticket's stored words hold every word of a search, stemmed."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, tsquery: str) -> None:
        super().__init__(Value(tsquery))

    def as_sql(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError("full-text search needs Postgres")

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list]:
        (tsquery, params) = compiler.compile(self.get_source_expressions()[0])
        table = compiler.query.get_initial_alias()
        column = f"{compiler.quote_name_unless_alias(table)}.words"
        return f"{column} @@ to_tsquery('english'::regconfig, {tsquery})", list(params)


def as_tsquery(text: str) -> str:
    """`text` as a tsquery of all its words, the last one possibly unfinished: 'printer' & 'ja':*.

    Only the last word matches as the start of a word, as a person is typing it: a prefix
    reads every index entry it starts, and on every word that made the search slower than
    the substring search of the subject it replaces. Only letters, digits and underscores
    reach the query, each word quoted, so nothing typed is read as tsquery syntax.
    """
    words = [f"'{word}'" for word in re.findall(r"\w+", text)[:MAX_WORDS]]
    if words:
        words[-1] += ":*"
    return " & ".join(words)


def words_match(text: str, *, vendor: str, number: int | None = None) -> Q:
    """Tickets holding every word of `text`; given a ticket `number`, also its mentions.

    A mention is the number as typed or as ticket numbers write it: 123 as 000123, which
    INC-000123 holds.
    """
    searches = [text] if number is None else [text, f"{number:06d}"]
    if vendor != "postgresql":
        query = Q(pk__in=[])
        for search in searches:
            query |= substrings(search)
        return query
    tsquery = " | ".join(f"({as_tsquery(search)})" for search in searches if as_tsquery(search))
    return Q(MatchesWords(tsquery)) if tsquery else Q(pk__in=[])


def substrings(text: str) -> Q:
    query = Q()
    for word in text.split()[:MAX_WORDS]:
        query &= Q(subject__icontains=word) | Q(description__icontains=word)
    return query
