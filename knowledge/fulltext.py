"""Ranking articles for search terms, in the database: Postgres, or SQLite's FTS5 for `make run`.

Both backends score the same way, so results come in the same order where they can:

- Each term scores by where it matched best: the title (1.0), the summary or tags (0.6),
  the body (0.3); a weak alternative (a root as a prefix, a spelling fix) scores 0.7 of that.
- Terms weigh by how rare they are among the articles the reader may read (BM25's inverse
  document frequency, counted up to FREQUENCY_CAP), so "wifi" counts for more than
  "laptop". A word that no article holds, even after a spelling fix, still weighs half a rare
  word's weight: a query about something the knowledge base does not cover finds nothing.
- The score is the weighted share of the query matched, plus boosts: the share matched in
  the title, the database's own rank (Postgres' ts_rank_cd over the weighted document,
  SQLite's bm25 with column weights) and, a little, the share of readers who found the
  article helpful.
- An article is a result only if it matches at least half the query by weight, and, for a
  query of several terms, matches two of them or one in its title, summary or tags.

Postgres keeps each article's words in a stored, weighted tsvector (`words`: title A,
summary and tag names B, body C, English stemming) and a small one of the title, summary and
tags (`head_words`), each with a GIN index, and trigram indexes on titles and on tag names for
typos (migration 0003). At 20,000 articles a common word is in thousands of them; scoring
costs a few checks of a document per row, so only MAX_CANDIDATES rows are scored, the
likeliest first (every term in the title, summary or tags; then two of them; then any; then
the bodies), and a count beyond that many is "at least". SQLite keeps published articles in an
FTS5 table (title, head, body) with the porter stemmer, kept by triggers, and a vocabulary
view on it for spelling fixes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import nullcontext

from django.db import connection, transaction

from . import search_cache
from .querying import Alternative, Term, best_fix, tokens
from .search_cache import Counted, Ranked

FIELDS = ("title", "head", "body")
FIELD_SCORES = {"title": 1.0, "head": 0.6, "body": 0.3}
WEAK = 0.7
TITLE_SCORE = WEAK * FIELD_SCORES["title"]
HEAD_SCORE = WEAK * FIELD_SCORES["head"]
FREQUENCY_CAP = 100
CORPUS_CAP = 5000
# How much each boost may add to the share of the query matched (0 to 1).
TITLE_BOOST = 0.25
RANK_BOOST = 0.15
HELPFUL_BOOST = 0.1
MIN_SHARE = 0.4
FIX_CANDIDATES = 5
# The most rows a search scores (Postgres): a count beyond it says "at least this many".
MAX_CANDIDATES = 300
T = "knowledge_article"
# How alike (pg_trgm's word_similarity) a title must be to a typo to offer its words as fixes.
WORD_SIMILARITY = 0.5

Sql = tuple[str, list]


def backend() -> FullText:
    return PostgresFullText() if connection.vendor == "postgresql" else SqliteFullText()


def idf(frequency: int, corpus: int) -> float:
    return math.log(1 + (corpus - frequency + 0.5) / (frequency + 0.5))


class FullText:
    """What both backends share: weighing terms and the scoring around their matches."""

    def weigh(self, terms: list[Term], readable: Sql, *, version: str | None = None) -> Counted:
        """Count the readable articles holding each term; fix typos; set the terms' weights.

        The counts and fixes depend on the query and on what the reader may read, not on
        the reader: they are kept in the shared cache (`knowledge.search_cache`) until an
        article changes, so a query asked before is weighed without a query. `version` is
        the articles' version, when the caller read it already.
        """
        key = search_cache.key("weights", terms, readable, version=version)
        counted = search_cache.read(key, Counted)
        if counted is None or len(counted.frequencies) != len(terms):
            counted = self.count_terms(terms, readable)
            if counted.all_known:
                # A term no article holds is counted again next time: the article that
                # holds it may be published any moment, by any road.
                search_cache.keep(key, counted)
        self.apply(terms, counted)
        return counted

    @staticmethod
    def apply(terms: list[Term], counted: Counted) -> None:
        """Give the terms their spelling fixes and weights from the counts."""
        for term, fix in zip(terms, counted.fixes, strict=True):
            if fix:
                term.add_fix(fix)
        frequencies = counted.frequencies
        corpus = max(counted.corpus, max(frequencies, default=0), 1)
        rare = idf(1, corpus)
        for term, frequency in zip(terms, frequencies, strict=True):
            term.frequency = frequency
            term.weight = max(idf(frequency, corpus), 0.05) if frequency else rare / 3

    def count_terms(self, terms: list[Term], readable: Sql) -> Counted:
        """How many readable articles hold each term, after a spelling fix of the unknown."""
        corpus, frequencies = self.frequencies([t.strong for t in terms], readable)
        fixes: list[str | None] = [None] * len(terms)
        unknown = [t for t, f in zip(terms, frequencies, strict=True) if not f and t.fixable]
        if unknown:
            candidates = self.fix_candidates([t.text for t in unknown], readable)
            fixed = []
            for term in unknown:
                fix = best_fix(term.text, candidates.get(term.text, ()))
                if fix:
                    fixes[terms.index(term)] = fix
                    fixed.append(term)
            if fixed:
                alternatives = [
                    [*t.weak, Alternative((fixes[terms.index(t)] or "",))] for t in fixed
                ]
                _, again = self.frequencies(alternatives, readable)
                for term, frequency in zip(fixed, again, strict=True):
                    frequencies[terms.index(term)] = frequency
        return Counted(corpus=corpus, frequencies=frequencies, fixes=fixes)

    def rank(self, terms: list[Term], readable: Sql, *, limit: int, offset: int) -> Ranked:
        known = [t for t in terms if t.known]
        if not known:
            return Ranked(ids=[], total=0)
        total_weight = sum(t.weight for t in terms)
        inner, params = self.matches(known, readable)
        matched = [f"(f{i} > 0)" for i in range(len(known))]

        def share(condition: str) -> str:
            parts = [
                f"(CASE WHEN {condition.format(i=i)} THEN {t.weight!r} ELSE 0 END)"
                for i, t in enumerate(known)
            ]
            return f"(({' + '.join(parts)}) / {total_weight!r})"

        field_share = (
            "(("
            + " + ".join(f"f{i} * {t.weight!r}" for i, t in enumerate(known))
            + f") / {total_weight!r})"
        )
        score = (
            f"{field_share} + {TITLE_BOOST} * {share(f'f{{i}} >= {TITLE_SCORE}')}"
            f" + {RANK_BOOST} * rk"
            f" + {HELPFUL_BOOST} * (helpful_count + 1.0) / (helpful_count + unhelpful_count + 2.0)"
        )
        several = (
            "1 = 1"
            if len(terms) == 1
            else f"({' + '.join(f'CASE WHEN {m} THEN 1 ELSE 0 END' for m in matched)}) >= 2"
        )
        head = " OR ".join(f"f{i} >= {HEAD_SCORE}" for i in range(len(known)))
        sql = (
            "SELECT id, score, total FROM ("  # nosec B608  # constants and computed numbers; typed words are parameters
            f"SELECT id, {score} AS score, count(*) OVER () AS total FROM ({inner}) m "
            f"WHERE {share('f{i} > 0')} >= {MIN_SHARE} AND ({head} OR {several})"
            ") r ORDER BY score DESC, id LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            rows = cursor.fetchall()
        if not rows and offset:
            return Ranked(ids=[], total=self.count(terms, readable))
        return Ranked(
            ids=[row[0] for row in rows],
            total=rows[0][2] if rows else 0,
            scores={row[0]: float(row[1]) for row in rows},
        )

    def count(self, terms: list[Term], readable: Sql) -> int:
        return self.rank(terms, readable, limit=1, offset=0).total

    def frequencies(
        self, alternatives: Sequence[list[Alternative]], readable: Sql
    ) -> tuple[int, list[int]]:
        raise NotImplementedError

    def fix_candidates(self, words: list[str], readable: Sql) -> dict[str, set[str]]:
        raise NotImplementedError

    def matches(self, terms: list[Term], readable: Sql) -> Sql:
        """Rows (id, helpful_count, unhelpful_count, rk, f0..fn) of the articles matching any term."""
        raise NotImplementedError


def _field_case(miss: str, checks: list[tuple[str, float]], last: float) -> str:
    whens = " ".join(f"WHEN {check} THEN {score!r}" for check, score in checks)
    return f"CASE WHEN NOT ({miss}) THEN 0 {whens} ELSE {last!r} END"


def _tiers(term: Term) -> tuple[list[tuple[list[Alternative], str, float]], float]:
    """(alternatives, field, score) in the order a term's best match is looked for, but the
    last, which is what a term that matched at all and none of these matched: its score."""
    tiers = []
    for name in FIELDS:
        tiers.append((term.strong, name, FIELD_SCORES[name]))
        if term.weak:
            tiers.append((term.weak, name, WEAK * FIELD_SCORES[name]))
    return tiers[:-1], tiers[-1][2]


class PostgresFullText(FullText):
    LABELS = {"title": "A", "head": "B", "body": "C"}

    @staticmethod
    def tsquery(alternatives: list[Alternative], label: str = "") -> str:
        """A tsquery in to_tsquery's syntax; every word is quoted, so nothing typed is syntax."""
        parts = []
        for alternative in alternatives:
            words = [f"'{word}':{label}" if label else f"'{word}'" for word in alternative.words]
            if alternative.prefix:
                words[-1] = f"'{alternative.words[-1]}':*{label}"
            parts.append(" <-> ".join(words))
        return " | ".join(f"({part})" for part in parts)

    def frequencies(
        self, alternatives: Sequence[list[Alternative]], readable: Sql
    ) -> tuple[int, list[int]]:
        where, params = readable
        # The corpus's size for the weights: the planner's estimate of the table (exact
        # enough for a logarithm), counted only while the table is small or never analysed.
        columns = [
            f"(SELECT CASE WHEN c.reltuples < {CORPUS_CAP} THEN (SELECT count(*) FROM "  # nosec B608  # constants and computed numbers; typed words are parameters
            f"(SELECT 1 FROM {T} WHERE {where} LIMIT {CORPUS_CAP}) s) ELSE c.reltuples::bigint END "
            f"FROM pg_class c WHERE c.oid = '{T}'::regclass)"
        ]
        values = list(params)
        for alts in alternatives:
            columns.append(
                f"(SELECT count(*) FROM (SELECT 1 FROM {T} "  # nosec B608  # constants and computed numbers; typed words are parameters
                f"WHERE {T}.words @@ to_tsquery('english'::regconfig, %s) "
                f"AND {where} LIMIT {FREQUENCY_CAP}) s)"
            )
            values += [self.tsquery(alts), *params]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), values)
            row = cursor.fetchone()
        return int(row[0]), list(row[1:])

    def fix_candidates(self, words: list[str], readable: Sql) -> dict[str, set[str]]:
        """Words of tag names and titles that look like each word (pg_trgm, indexed).

        Any few alike titles will do (their words are compared again here), so the index
        scan stops after FIX_CANDIDATES of them rather than ranking every alike title.
        """
        where, params = readable
        parts, values = [], []
        for word in words:
            parts.append(
                "(SELECT %s, t.name FROM knowledge_tag t WHERE t.name %% %s "  # nosec B608  # constants and computed numbers; typed words are parameters
                f"AND EXISTS (SELECT 1 FROM knowledge_article_tags x JOIN {T} ON {T}.id = x.article_id "
                f"WHERE x.tag_id = t.id AND {where}) LIMIT {FIX_CANDIDATES})"
            )
            values += [word, word, *params]
            parts.append(
                f"(SELECT %s, {T}.title FROM {T} WHERE %s <%% {T}.title AND {where} "  # nosec B608  # constants and computed numbers; typed words are parameters
                f"LIMIT {FIX_CANDIDATES})"
            )
            values += [word, word, *params]
        # pg_trgm's default threshold (0.6) misses a doubled or dropped letter in a long
        # word ("disconecting" is 0.53 like "disconnects"); lowered for this transaction
        # only (a transaction of its own, unless the caller is in one already).
        block = nullcontext() if connection.in_atomic_block else transaction.atomic()
        with block, connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)",
                [str(WORD_SIMILARITY)],
            )
            cursor.execute(" UNION ALL ".join(parts), values)
            found: dict[str, set[str]] = {}
            for word, text in cursor.fetchall():
                found.setdefault(word, set()).update(tokens(text))
        return found

    def matches(self, terms: list[Term], readable: Sql) -> Sql:
        where, params = readable
        queries: list[str] = []

        def column(text: str) -> str:
            queries.append(text)
            return f"q.q{len(queries) - 1}"

        strong = column(self.tsquery([a for t in terms for a in t.strong]))
        cases = []
        for i, term in enumerate(terms):
            miss = f"c.words @@ {column(self.tsquery(term.alternatives))}"
            tiers, last = _tiers(term)
            checks = [
                (f"c.words @@ {column(self.tsquery(alts, self.LABELS[name]))}", score)
                for alts, name, score in tiers
            ]
            cases.append(f"{_field_case(miss, checks, last)} AS f{i}")
        # Scoring a term costs a few checks of the document per row, so only MAX_CANDIDATES
        # rows are scored: the likeliest first, found in the small index of titles,
        # summaries and tags (every term there, then any two, then any), then the bodies.
        # Each step stops once enough rows are found, so a common word reads no more rows.
        each = [f"({self.tsquery(t.alternatives)})" for t in terms]
        steps = []
        if len(each) > 1:
            steps.append(("head_words", " & ".join(each)))
        if len(each) > 2:
            pairs = [f"({a} & {b})" for n, a in enumerate(each) for b in each[n + 1 :]]
            steps.append(("head_words", " | ".join(pairs)))
        steps += [("head_words", " | ".join(each)), ("words", " | ".join(each))]
        branches, seen = [], None
        for document, text in steps:
            found = column(text)
            unseen = f" AND NOT ({T}.head_words @@ {seen})" if seen else ""
            branches.append(
                f"(SELECT {T}.id FROM {T}, q WHERE {T}.{document} @@ {found}{unseen} "  # nosec B608  # constants and computed numbers; typed words are parameters
                f"AND {where} LIMIT {MAX_CANDIDATES})"
            )
            seen = found
        # The queries are parsed once, in a materialised CTE: as parameters of a generic
        # plan they would be parsed again for every row.
        cte = ", ".join(
            f"to_tsquery('english'::regconfig, %s) AS q{n}" for n in range(len(queries))
        )
        sql = (
            f"WITH q AS MATERIALIZED (SELECT {cte}), best AS MATERIALIZED ("  # nosec B608  # constants and computed numbers; typed words are parameters
            f"SELECT id FROM ({' UNION ALL '.join(branches)}) u LIMIT {MAX_CANDIDATES}) "
            "SELECT c.id, c.helpful_count, c.unhelpful_count, "
            f"ts_rank_cd('{{0.1, 0.3, 0.6, 1.0}}', c.words, {strong}, 32) AS rk, "
            f"{', '.join(cases)} FROM best JOIN {T} c ON c.id = best.id, q"
        )
        return sql, [*queries, *(list(params) * len(branches))]


class SqliteFullText(FullText):
    TABLE = "knowledge_article_fts"
    VOCABULARY = "knowledge_article_fts_words"

    @staticmethod
    def match(alternatives: list[Alternative], name: str = "") -> str:
        """An FTS5 query; every word is quoted, so nothing typed is syntax."""
        parts = []
        for alternative in alternatives:
            phrase = '"' + " ".join(alternative.words) + '"'
            parts.append(phrase + ("*" if alternative.prefix else ""))
        expression = "(" + " OR ".join(parts) + ")"
        return f"{{{name}}} : {expression}" if name else expression

    def frequencies(
        self, alternatives: Sequence[list[Alternative]], readable: Sql
    ) -> tuple[int, list[int]]:
        where, params = readable
        rows = f"FROM {self.TABLE} f JOIN {T} ON {T}.id = f.rowid WHERE"
        columns = [f"(SELECT count(*) FROM (SELECT 1 {rows} {where} LIMIT {CORPUS_CAP}))"]  # nosec B608  # constants and computed numbers; typed words are parameters
        values = list(params)
        for alts in alternatives:
            columns.append(
                f"(SELECT count(*) FROM (SELECT 1 {rows} {self.TABLE} MATCH %s AND {where} "  # nosec B608  # constants and computed numbers; typed words are parameters
                f"LIMIT {FREQUENCY_CAP}))"
            )
            values += [self.match(alts), *params]
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(columns), values)
            row = cursor.fetchone()
        return row[0], list(row[1:])

    def fix_candidates(self, words: list[str], readable: Sql) -> dict[str, set[str]]:
        """The stems of published titles, summaries and tags (the FTS5 vocabulary)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT term FROM {self.VOCABULARY} WHERE col IN ('title', 'head')"  # nosec B608  # constants and computed numbers; typed words are parameters
            )
            vocabulary = {row[0] for row in cursor.fetchall()}
        return dict.fromkeys(words, vocabulary)

    def matches(self, terms: list[Term], readable: Sql) -> Sql:
        where, params = readable
        values: list[str] = []

        def holds(expression: str) -> str:
            values.append(expression)
            return f"{T}.id IN (SELECT rowid FROM {self.TABLE} WHERE {self.TABLE} MATCH %s)"  # nosec B608  # constants and computed numbers; typed words are parameters

        strong = self.match([a for t in terms for a in t.strong])
        everything = self.match([a for t in terms for a in t.alternatives])
        cases = []
        for i, term in enumerate(terms):
            miss = holds(self.match(term.alternatives))
            tiers, last = _tiers(term)
            checks = [(holds(self.match(alts, name)), score) for alts, name, score in tiers]
            cases.append(f"{_field_case(miss, checks, last)} AS f{i}")
        # bm25's column weights follow the fields' scores; it is negative, best first.
        sql = (
            f"SELECT {T}.id, {T}.helpful_count, {T}.unhelpful_count, "  # nosec B608  # constants and computed numbers; typed words are parameters
            "coalesce(-r.bm / (1.0 - r.bm), 0) AS rk, "
            f"{', '.join(cases)} FROM {T} LEFT JOIN ("
            f"SELECT rowid AS id, bm25({self.TABLE}, 10.0, 6.0, 3.0) AS bm FROM {self.TABLE} "
            f"WHERE {self.TABLE} MATCH %s) r ON r.id = {T}.id "
            f"WHERE {T}.id IN (SELECT rowid FROM {self.TABLE} WHERE {self.TABLE} MATCH %s) "
            f"AND {where}"
        )
        return sql, [*values, strong, everything, *params]
