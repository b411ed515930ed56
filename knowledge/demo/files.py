"""The demo's data files, read into plain specs the loader writes.

`articles/`: one Markdown file per article, its TOML header between `+++` lines (the fields of
`ArticleSpec`). `edits/`: an edit waiting for review (or rejected) of the published article of
the same name (`EditSpec`). `synonyms.toml`: the synonym groups. `searches.toml`: the searches
that found nothing.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.models import Article, Revision

DEMO_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class History:
    """An article's earlier approved version: the same text without some sections."""

    comment: str
    sections: tuple[str, ...]
    days_ago: int


@dataclass(frozen=True)
class ArticleSpec:
    """One article as written in its data file, with how readers treat it."""

    slug: str
    title: str
    summary: str
    body: str
    services: tuple[str, ...]
    tags: tuple[str, ...]
    owner: str
    audience: str = Article.Audience.EVERYONE
    status: str = Article.Status.PUBLISHED
    # Created this many days before the load; retired this many days before it.
    age_days: int = 90
    retired_days_ago: int | None = None
    # Review due this many days after the load (negative: overdue).
    review_in_days: int | None = None
    superseded_by: str = ""
    # How much it is read, 1 (rarely) to 5 (the most searched), and the share of Yes votes.
    popularity: int = 2
    helpfulness: float = 0.85
    # What readers who voted No said was missing.
    missing: tuple[str, ...] = ()
    # Subjects of the demo's tickets that the article answers.
    answers: tuple[str, ...] = ()
    # What people type when this article is the answer.
    queries: tuple[str, ...] = ()
    history: History | None = None
    # Written from the newest resolved demo ticket with this subject.
    written_from: str = ""

    @property
    def first_body(self) -> str:
        """The body of the first version: without the sections a later one added."""
        return without_sections(self.body, self.history.sections) if self.history else self.body


@dataclass(frozen=True)
class EditSpec:
    """An edit of a published article that is waiting for review, or was rejected."""

    slug: str
    author: str
    comment: str
    age_days: int
    body: str
    title: str = ""
    summary: str = ""
    state: str = Revision.State.IN_REVIEW
    reviewer: str = ""
    review_note: str = ""


@dataclass(frozen=True)
class Searches:
    """Searches that found nothing: content gaps, and those just before a ticket."""

    gaps: tuple[tuple[tuple[str, ...], int], ...]
    ticket_gaps: dict[str, tuple[str, ...]]


def split_front_matter(text: str, *, name: str) -> tuple[dict[str, Any], str]:
    """A data file's TOML header (between `+++` lines) and its Markdown body."""
    opening, _, rest = text.partition("+++\n")
    header, found, body = rest.partition("\n+++\n")
    if opening.strip() or not found:
        raise ValueError(f"{name}: expected a TOML header between +++ lines")
    return tomllib.loads(header), body.strip() + "\n"


def without_sections(body: str, headings: tuple[str, ...]) -> str:
    """The body without the `## ` sections with these headings."""
    kept: list[str] = []
    skipping = False
    for line in body.splitlines(keepends=True):
        if line.startswith("## "):
            skipping = line[3:].strip() in headings
        if not skipping:
            kept.append(line)
    return "".join(kept).strip() + "\n"


def _build(cls: type[Any], values: dict[str, Any], *, name: str) -> Any:
    known = {field.name for field in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"{name}: unknown fields {sorted(unknown)}")
    lists = {key: tuple(value) for key, value in values.items() if isinstance(value, list)}
    return cls(**{**values, **lists})


def read_article(path: Path) -> ArticleSpec:
    header, body = split_front_matter(path.read_text(encoding="utf-8"), name=path.name)
    if "history" in header:
        history = header["history"]
        header["history"] = History(
            comment=history["comment"],
            sections=tuple(history["sections"]),
            days_ago=history["days_ago"],
        )
    spec: ArticleSpec = _build(
        ArticleSpec, {**header, "slug": path.stem, "body": body}, name=path.name
    )
    if len(spec.title) > 200 or len(spec.summary) > 300:
        raise ValueError(f"{path.name}: title or summary too long")
    if (spec.status == Article.Status.RETIRED) != (spec.retired_days_ago is not None):
        raise ValueError(f"{path.name}: a retired article, and only one, has retired_days_ago")
    return spec


def read_articles(directory: Path = DEMO_DIR / "articles") -> list[ArticleSpec]:
    return [read_article(path) for path in sorted(directory.glob("*.md"))]


def read_edits(directory: Path = DEMO_DIR / "edits") -> list[EditSpec]:
    edits = []
    for path in sorted(directory.glob("*.md")):
        header, body = split_front_matter(path.read_text(encoding="utf-8"), name=path.name)
        edits.append(_build(EditSpec, {**header, "slug": path.stem, "body": body}, name=path.name))
    return edits


def read_synonyms(path: Path = DEMO_DIR / "synonyms.toml") -> list[str]:
    return list(tomllib.loads(path.read_text(encoding="utf-8"))["groups"])


def read_searches(path: Path = DEMO_DIR / "searches.toml") -> Searches:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return Searches(
        gaps=tuple((tuple(gap["queries"]), gap["weight"]) for gap in data["gaps"]),
        ticket_gaps={subject: tuple(queries) for subject, queries in data["ticket_gaps"].items()},
    )
