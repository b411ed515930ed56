"""A reader's words as search terms: what they typed, what they meant, and other ways to say it.

People type sentences ("my laptop won't connect to the wifi in the office"), other word
forms ("printing" for an article about a printer), other words for the same thing ("wlan")
and typos. A query becomes a short list of `Term`s, one per word that carries meaning:
stop words and the filler of a request for help ("hi", "please", "since this morning") are
dropped, and a term matches if any of its alternatives does. Strong alternatives are the
word itself (stemmed by the database), the words of its synonym groups, and, for the last
word, anything it starts (the person may still be typing). Weak ones are the word's root as
a prefix ("print" for "printing", so "printer" matches) and a spelling fix found by the
database backend (`knowledge.fulltext`).

Synonym groups are kept by admins; each process keeps a copy under a version in the shared
cache that the admin bumps on every save and delete (`servicedesk.versions`).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from servicedesk import versions

from .models import SynonymGroup

MAX_TERMS = 8
MAX_QUERY_LENGTH = 200
# A root shorter than this matches too much as a prefix ("pri" for "pricing").
MIN_ROOT = 4
# Changes made behind the admin's back (a shell, a data load) show after this long.
SYNONYMS_MAX_AGE_SECONDS = 300.0

# A word is letters and digits, with inner apostrophes ("won't"); hyphens split ("wi-fi").
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Postgres' English stop words, and their forms with an apostrophe.
STOP_WORDS = _word_set(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd
    she'll she's should shouldn't so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those through to too under
    until up very was wasn't we we'd we'll we're we've were weren't what what's when when's where
    where's which while who who's whom why why's with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves"""
)
# What people add to a request for help that says nothing about the problem.
FILLER_WORDS = _word_set(
    """hi hello hey dear please pls plz thanks thank thx cheers regards help helpdesk need needs
    needed want wanted wants would like trying tried try tries able unable cant wont dont doesnt
    didnt isnt im ive ill get gets getting got keep keeps keeping kept still again anymore
    always never ever just really very also even anyone someone somebody something anything
    everything nothing everyone thing things stuff way since today yesterday tomorrow morning
    afternoon evening tonight now currently suddenly recently asap urgent urgently quickly
    possible every time times seem seems seemed anybody else already yet lot lots alot much
    many sure know let make makes made use using used work works working worked happen happens
    happening happened going go goes went come comes came tell say says said see seeing saw
    look looking issue issues problem problems fix fixing fixed sort sorted how's whats ok okay
    hmm broken monday tuesday wednesday thursday friday saturday sunday weekend week"""
)
# Ordered longest first: the first that leaves a long enough root is taken.
SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ions", "ion", "ies", "ed", "es", "s")


@dataclass(frozen=True)
class Alternative:
    """One way a term may appear: a word or a phrase of words, maybe as the start of a word."""

    words: tuple[str, ...]
    prefix: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass
class Term:
    """One word (or phrase) of the query that carries meaning, with its alternatives."""

    text: str
    strong: list[Alternative]
    weak: list[Alternative] = field(default_factory=list)
    # Set by the backend: how many readable articles hold the term, and its weight.
    frequency: int = 0
    weight: float = 0.0

    @property
    def known(self) -> bool:
        return self.frequency > 0

    @property
    def alternatives(self) -> list[Alternative]:
        return [*self.strong, *self.weak]

    @property
    def fixable(self) -> bool:
        """A single word long enough for a spelling fix to mean something (not a number)."""
        return self.text.isalpha() and len(self.text) >= 4

    def add_fix(self, word: str) -> None:
        fix = Alternative((word,))
        if fix not in self.alternatives:
            self.weak.append(fix)


def normalise(query: str) -> str:
    """The form of a query that reports group by: lower case, single spaces."""
    return " ".join(query.lower().replace("’", "'").split())[:MAX_QUERY_LENGTH]


def tokens(text: str) -> list[str]:
    words = []
    for word in WORD.findall(text.lower().replace("’", "'")):
        if word.endswith("'s"):
            word = word[:-2]
        words.append(word)
    return words


@functools.lru_cache(maxsize=4096)
def root(word: str) -> str:
    """The word without an ending that other forms of it don't share: printing -> print."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_ROOT:
            return word[: -len(suffix)]
    return word


def is_noise(word: str) -> bool:
    return word in STOP_WORDS or word in FILLER_WORDS or (len(word) < 2 and not word.isdigit())


def terms(query: str, groups: Iterable[tuple[tuple[str, ...], ...]] | None = None) -> list[Term]:
    """The query's meaningful words as terms, at most MAX_TERMS, each with its alternatives.

    `groups` are the synonym groups, each a tuple of phrases (tuples of words); by default
    the admin's, from this process's copy.
    """
    query = query[:MAX_QUERY_LENGTH]
    words = tokens(query)
    index = synonym_index(synonym_groups() if groups is None else groups)
    longest = max((len(phrase) for phrase in index), default=1)
    still_typing = bool(query) and not query[-1].isspace() and query[-1] not in ".?!"
    found: list[Term] = []
    seen: set[frozenset[Alternative]] = set()
    position = 0
    while position < len(words) and len(found) < MAX_TERMS:
        size = next(
            (
                n
                for n in range(min(longest, len(words) - position), 0, -1)
                if tuple(words[position : position + n]) in index
            ),
            0,
        )
        if size:
            phrase = tuple(words[position : position + size])
            term = Term(
                text=" ".join(phrase),
                strong=[
                    Alternative(p) for p in sorted(index[phrase], key=lambda p: (p != phrase, p))
                ],
            )
        elif is_noise(words[position]):
            position += 1
            continue
        else:
            size, word = 1, words[position]
            term = Term(text=word, strong=[Alternative((word,))])
            if word.isalpha() and len(root(word)) >= MIN_ROOT:
                term.weak.append(Alternative((root(word),), prefix=True))
        position += size
        key = frozenset(term.strong)
        if key not in seen:
            seen.add(key)
            found.append(term)
    if found and still_typing and position == len(words):
        last = found[-1]
        typed = last.strong[0]
        if len(typed.words) == 1 and len(typed.text) >= 2:
            last.strong.append(Alternative(typed.words, prefix=True))
    return found


def synonym_index(
    groups: Iterable[tuple[tuple[str, ...], ...]],
) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """Each phrase of a group -> every phrase of every group it belongs to."""
    index: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
    for group in groups:
        for phrase in group:
            index.setdefault(phrase, set()).update(group)
    return index


@dataclass(frozen=True)
class _Copy:
    groups: tuple[tuple[tuple[str, ...], ...], ...]
    version: str
    loaded_at: float


_lock = threading.Lock()
_copy: _Copy | None = None


def synonym_groups() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The admin's synonym groups, each as phrases of words, from this process's copy.

    One cache read per search (the version); the rows are read again only after an admin
    changed them (or SYNONYMS_MAX_AGE_SECONDS passed, for changes made elsewhere).
    """
    global _copy
    version = versions.read(versions.SYNONYMS)
    copy = _copy
    if (
        copy is None
        or copy.version != version
        or time.time() - copy.loaded_at > SYNONYMS_MAX_AGE_SECONDS
    ):
        groups = []
        for words in SynonymGroup.objects.values_list("words", flat=True):
            phrases = {tuple(tokens(entry)) for entry in words.split(",")}
            phrases.discard(())
            if len(phrases) > 1:
                groups.append(tuple(sorted(phrases)))
        copy = _Copy(groups=tuple(groups), version=version, loaded_at=time.time())
        with _lock:
            _copy = copy
    return copy.groups


def forget_synonyms() -> None:
    """Drop this process's copy (tests; a data load that wrote synonym groups directly)."""
    global _copy
    with _lock:
        _copy = None


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces in front and one behind."""
    padded = f"  {word.lower()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity of two words: shared trigrams over all of them."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def max_edits(word: str) -> int:
    """How many slips a typo of `word` may hold: one in a short word ("realy" is not "read"),
    two from eight letters on."""
    return 1 if len(word) < 8 else 2


def edits(a: str, b: str) -> int:
    """The letters inserted, dropped, changed or swapped with a neighbour from `a` to `b`
    (optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = 0 if x == y else 1
            best = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                best = min(best, previous2[j - 2] + 1)
            row.append(best)
        previous2, previous = previous, row
    return previous[-1]


def best_fix(word: str, candidates: Iterable[str], *, threshold: float = 0.45) -> str | None:
    """The candidate word most like `word` (a typo of it), if any is alike enough.

    Candidates that are noise, much shorter or longer, or that merely start `word` are
    skipped: a fix replaces a typo, it does not widen a word.
    """
    best, best_score = None, threshold
    for candidate in set(candidates):
        if candidate == word or is_noise(candidate) or abs(len(candidate) - len(word)) > 3:
            continue
        if not candidate.isalpha() or word.startswith(candidate):
            continue
        # Slips counted between the words, or between their roots ("disconecting" is one slip
        # from "disconnects" as "disconect" from "disconnect").
        if min(edits(word, candidate), edits(root(word), root(candidate))) > max_edits(word):
            continue
        score = similarity(word, candidate)
        # A shared first letter is how typos usually look ("pasword", "outlok").
        if candidate[0] == word[0]:
            score += 0.1
        if score > best_score or (score == best_score and best is not None and candidate < best):
            best, best_score = candidate, score
    return best
