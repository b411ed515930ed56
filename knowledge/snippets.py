"""Snippets of an article around the words a reader searched for, with those words marked.

The text is the article's own, as plain text: Markdown's markup is dropped, and everything
is escaped, so the only HTML a snippet holds is the `<mark>` around each matched word. The
same highlighter serves both databases, so a result looks the same on Postgres and SQLite.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from .querying import MIN_ROOT, WORD, Term, root

WINDOW_WORDS = 28
# A match deep in a long body is found; the rest is never read.
MAX_TEXT = 20_000

_MARKDOWN = [
    (re.compile(r"^\s*(```|~~~).*$", re.MULTILINE), " "),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),
    (re.compile(r"<[^>]*>"), " "),
    # A heading reads as a sentence of its own, not run into the next one.
    (re.compile(r"^\s{0,3}#{1,6}\s*(.*?[^.!?:\s])\s*#*\s*$", re.MULTILINE), r"\1."),
    (re.compile(r"^\s{0,3}(#{1,6}|>+)\s*", re.MULTILINE), ""),
    (re.compile(r"^\s*([-*+]|\d+[.)])\s+", re.MULTILINE), ""),
    # A table's delimiter row ("| --- | :--: |"), before the cells' bars go.
    (re.compile(r"^\s*\|?(\s*:?-+:?\s*\|)+\s*(:?-+:?)?\s*$", re.MULTILINE), " "),
    (re.compile(r"\|"), " "),
    # Emphasis and code marks go without a trace: "choose **ExampleStaff**." keeps its full stop.
    (re.compile(r"(\*\*|__|\*|`+|~~)"), ""),
    (re.compile(r"^\s*[-=]{3,}\s*$", re.MULTILINE), " "),
]


# What a removed mark or tag leaves before punctuation: "Type it . Choose".
_SPACE_BEFORE_STOP = re.compile(r" ([.,;:!?)])")


def plain_text(markdown: str) -> str:
    """The words of a Markdown text without its markup, on one line."""
    text = markdown[:MAX_TEXT]
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return _SPACE_BEFORE_STOP.sub(r"\1", " ".join(text.split()))


class _Matcher:
    """Which term a word of the text matches: the same word, another form of it, or a longer
    word it starts ("print" in "printer"). Each different word is looked up once."""

    def __init__(self, terms: list[Term]) -> None:
        self.exact: dict[str, int] = {}
        self.roots: dict[str, int] = {}
        self.prefixes: list[tuple[str, int]] = []
        self.phrases: list[tuple[tuple[str, ...], int]] = []
        for index, term in enumerate(terms):
            for alternative in term.alternatives:
                if len(alternative.words) > 1:
                    self.phrases.append((alternative.words, index))
                    continue
                word = alternative.words[0]
                self.exact.setdefault(word, index)
                if len(word) >= MIN_ROOT:
                    self.roots.setdefault(root(word), index)
                    self.prefixes.append((word, index))
        self.known: dict[str, int] = {}

    def term(self, word: str) -> int:
        if word not in self.known:
            found = self.exact.get(word, -1)
            if found < 0 and len(word) >= MIN_ROOT:
                found = self.roots.get(root(word), -1)
            if found < 0:
                found = next((i for p, i in self.prefixes if word.startswith(p)), -1)
            self.known[word] = found
        return self.known[word]

    def hits(self, words: list[str]) -> list[int]:
        """For each word of a text, the index of the term it matches, or -1."""
        hits = [self.term(word) for word in words]
        for phrase, index in self.phrases:
            size = len(phrase)
            for start in range(len(words) - size + 1):
                if words[start : start + size] == list(phrase):
                    for offset in range(size):
                        if hits[start + offset] < 0:
                            hits[start + offset] = index
        return hits


def _best_window(hits: list[int], window: int) -> int:
    """The first word of the stretch of `window` words holding the most different terms."""
    counts: dict[int, int] = {}
    best, best_start = -1, 0
    for position, hit in enumerate(hits):
        if hit >= 0:
            counts[hit] = counts.get(hit, 0) + 1
        leaving = position - window
        if leaving >= 0 and hits[leaving] >= 0:
            counts[hits[leaving]] -= 1
            if not counts[hits[leaving]]:
                del counts[hits[leaving]]
        if position >= window - 1 and len(counts) > best:
            best, best_start = len(counts), position - window + 1
    return best_start


class Highlighter:
    """Marks the words of a search's terms in any number of texts (one search, many hits)."""

    def __init__(self, terms: list[Term]) -> None:
        self.matcher = _Matcher(terms)

    def mark(self, text: str, *, window: int | None = None) -> tuple[Markup, bool]:
        """`text` escaped, with every word that matches a term in `<mark>`; and whether any did.

        Given a window (a number of words), only the stretch of that many words that holds
        the most different terms is kept, with an ellipsis where text was left out.
        """
        spans = [(m.start(), m.end()) for m in WORD.finditer(text)]
        if not spans:
            return escape(text), False
        words = [text[start:end].lower().replace("’", "'") for start, end in spans]
        hits = self.matcher.hits(words)
        first, last = 0, len(spans)
        if window is not None and len(spans) > window:
            first = _best_window(hits, window)
            last = first + window
        begin = 0 if first == 0 else spans[first][0]
        end = len(text) if last == len(spans) else spans[last - 1][1]
        pieces = [Markup("… ") if begin else Markup("")]
        cursor = begin
        for (start, stop), hit in zip(spans[first:last], hits[first:last], strict=True):
            if hit < 0:
                continue
            pieces.append(escape(text[cursor:start]))
            pieces.append(Markup("<mark>{}</mark>").format(text[start:stop]))
            cursor = stop
        pieces.append(escape(text[cursor:end]))
        if end < len(text):
            pieces.append(Markup(" …"))
        return Markup("").join(pieces), any(hit >= 0 for hit in hits)

    def snippet(self, summary: str, body: str) -> Markup:
        """The summary if it holds a searched word, else the best stretch of the body."""
        marked_summary, found = self.mark(summary)
        if found:
            return marked_summary
        marked_body, found = self.mark(plain_text(body), window=WINDOW_WORDS)
        return marked_body if found or not summary else marked_summary


def highlight(text: str, terms: list[Term], *, window: int | None = None) -> Markup:
    """`text` escaped, with every word that matches a term in `<mark>`."""
    return Highlighter(terms).mark(text, window=window)[0]


def snippet(summary: str, body: str, terms: list[Term]) -> Markup:
    """The summary if it holds a searched word, else the best stretch of the body."""
    return Highlighter(terms).snippet(summary, body)
