"""What changed between two revisions, side by side: lines, and the words within them.

Each field (title, summary, steps, video link) is compared line by line with difflib; a
changed line is compared again word by word, so a fixed typo is marked as one word, not as
a whole paragraph. Every piece of text is escaped here: the result is Markup that holds
only the revision's text, escaped, inside `<del>` and `<ins>`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Protocol

from markupsafe import Markup, escape

# Unchanged lines kept around a change, as in a unified diff; longer runs are folded.
CONTEXT = 3
WORDS = re.compile(r"\s+|\w+|[^\w\s]")


class HasText(Protocol):
    title: str
    summary: str
    body: str
    video_url: str


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side table: the old line and the new one (None: no line)."""

    kind: str  # "equal", "changed", "removed", "added" or "fold"
    old_number: int | None = None
    old: Markup = Markup("")
    new_number: int | None = None
    new: Markup = Markup("")
    folded: int = 0  # for a fold: how many unchanged lines it stands for


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    rows: list[Row] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(row.kind not in ("equal", "fold") for row in self.rows)


FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("body", "Steps"),
    ("video_url", "Video link"),
)


def compare(old: HasText, new: HasText, *, context: int = CONTEXT) -> list[FieldDiff]:
    """The differences between two revisions' texts, field by field."""
    return [
        FieldDiff(name, label, diff_lines(getattr(old, name), getattr(new, name), context=context))
        for name, label in FIELDS
    ]


def diff_lines(old: str, new: str, *, context: int = CONTEXT) -> list[Row]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(
                _equal(old_lines, i1, i2, j1, context, first=not rows, last=i2 == len(old_lines))
            )
        elif tag == "replace":
            pairs = zip_longest(range(i1, i2), range(j1, j2))
            for i, j in pairs:
                if i is None:
                    rows.append(Row("added", new_number=j + 1, new=escape(new_lines[j])))
                elif j is None:
                    rows.append(Row("removed", old_number=i + 1, old=escape(old_lines[i])))
                else:
                    marked_old, marked_new = diff_words(old_lines[i], new_lines[j])
                    rows.append(Row("changed", i + 1, marked_old, j + 1, marked_new))
        elif tag == "delete":
            rows.extend(
                Row("removed", old_number=i + 1, old=escape(old_lines[i])) for i in range(i1, i2)
            )
        else:
            rows.extend(
                Row("added", new_number=j + 1, new=escape(new_lines[j])) for j in range(j1, j2)
            )
    return rows


def _equal(
    lines: list[str], start: int, end: int, new_start: int, context: int, *, first: bool, last: bool
) -> list[Row]:
    """Unchanged lines: those near a change shown, a long run between changes folded."""
    numbers = list(range(start, end))
    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    if len(numbers) > keep_head + keep_tail + 1:
        head, tail = numbers[:keep_head], numbers[len(numbers) - keep_tail :]
        folded = len(numbers) - len(head) - len(tail)
    else:
        head, tail, folded = numbers, [], 0
    offset = new_start - start
    rows = [_same(lines, i, offset) for i in head]
    if folded:
        rows.append(Row("fold", folded=folded))
    rows.extend(_same(lines, i, offset) for i in tail)
    return rows


def _same(lines: list[str], i: int, offset: int) -> Row:
    text = escape(lines[i])
    return Row("equal", i + 1, text, i + offset + 1, text)


def diff_words(old: str, new: str) -> tuple[Markup, Markup]:
    """Both lines escaped, with the words only the old one has in <del>, the new one's in <ins>."""
    old_words, new_words = WORDS.findall(old), WORDS.findall(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    left: list[Markup] = []
    right: list[Markup] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        before, after = escape("".join(old_words[i1:i2])), escape("".join(new_words[j1:j2]))
        if tag == "equal":
            left.append(before)
            right.append(after)
            continue
        if before:
            left.append(Markup("<del>%s</del>") % before)
        if after:
            right.append(Markup("<ins>%s</ins>") % after)
    return Markup("").join(left), Markup("").join(right)
