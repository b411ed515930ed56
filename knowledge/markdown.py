"""Article text: Markdown rendered to HTML, then sanitised to an allowlist.

The same function renders the article page, the editor's live preview and the text an
agent inserts into a reply, so what an editor previews is what readers get.

An article's screenshots are placed with `![Step 2](image:ID)`: while the Markdown is
turned into a tree, such a reference becomes the address the image is served from. That is
the only change made before the sanitiser, which still sees (and judges) every element and
attribute; a reference that is not a plain image id is left as it is, and the sanitiser
drops the unknown scheme.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import markdown as markdown_lib
import nh3
from django.urls import reverse
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # nosec B405 - a type name; nothing is parsed

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li",
    "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "td": {"align"},
    "th": {"align", "scope"},
    "abbr": {"title"},
}
# Links to the web and mail only; no javascript:, data: or other schemes.
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


# `image:12`, in any case, with stray spaces: an article image's id, nothing else.
IMAGE_REFERENCE = re.compile(r"\s*image:(\d{1,18})\s*", re.IGNORECASE)


def image_url(image_id: int) -> str:
    """Where an article image is served (by `knowledge.views.image`, for those who may see it)."""
    return reverse("knowledge:image", args=[image_id])


class _ArticleImages(Treeprocessor):
    """`![Step 2](image:12)` becomes an image from the served URL; `[see](image:12)` a link."""

    def run(self, root: Element) -> None:
        for element in root.iter():
            attribute = {"img": "src", "a": "href"}.get(element.tag)
            if attribute is None:
                continue
            match = IMAGE_REFERENCE.fullmatch(element.get(attribute, ""))
            if match:
                element.set(attribute, image_url(int(match[1])))
                if element.tag == "img":
                    element.set("loading", "lazy")


class ArticleImagesExtension(Extension):
    def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
        # After the inline patterns (priority 20), which turn `![..](..)` into elements.
        md.treeprocessors.register(_ArticleImages(md), "article_images", 5)


@dataclass(frozen=True)
class ImagePlace:
    """Where a text uses an article image: the step (list item) or section it sits in."""

    image_id: int
    step: str = ""  # "3", or "3.2" for a point of a step; "" outside numbered steps
    section: str = ""  # the heading above it, if any
    linked: bool = False  # a link to the image (`[see](image:12)`) rather than the image

    def __str__(self) -> str:
        if self.step:
            return f"step {self.step}"
        if self.section:
            return f"the section \u201c{self.section}\u201d"
        return "the text"


class _FindImages(Treeprocessor):
    """Record every image reference with the step and section readers see it in."""

    def __init__(self, md: markdown_lib.Markdown, found: list[ImagePlace]) -> None:
        super().__init__(md)
        self.found = found
        self.section = ""

    def run(self, root: Element) -> None:
        self.section = ""
        self._walk(root, ())

    def _walk(self, element: Element, steps: tuple[int, ...]) -> None:
        for child, child_steps in self._children(element, steps):
            if child.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.section = " ".join(_PLACEHOLDER.sub("", "".join(child.itertext())).split())
            attribute = {"img": "src", "a": "href"}.get(child.tag)
            match = IMAGE_REFERENCE.fullmatch(child.get(attribute, "")) if attribute else None
            if match:
                self.found.append(
                    ImagePlace(
                        int(match[1]),
                        step=".".join(map(str, child_steps)),
                        section=self.section,
                        linked=child.tag == "a",
                    )
                )
            self._walk(child, child_steps)

    @staticmethod
    def _children(
        element: Element, steps: tuple[int, ...]
    ) -> Iterator[tuple[Element, tuple[int, ...]]]:
        # Readers see every numbered list count from 1: the sanitiser keeps no `start`.
        number = 0
        for child in element:
            if element.tag == "ol" and child.tag == "li":
                number += 1
                yield child, (*steps, number)
            else:
                yield child, steps


# Raw HTML and other stashed parts stand in the tree as placeholders until the end.
_PLACEHOLDER = re.compile("\x02[^\x03]*\x03")


def image_places(text: str) -> list[ImagePlace]:
    """Every place the Markdown text shows (or links to) an article image, in reading order.

    Read from the same tree the renderer builds, so an image counts exactly when readers
    would see it: `![..](image:12)`, a reference-style `![..][step]`, a link to one; not
    the words "image:12" in a sentence or a code span.
    """
    found: list[ImagePlace] = []

    class Finder(Extension):
        def extendMarkdown(self, md: markdown_lib.Markdown) -> None:
            md.treeprocessors.register(_FindImages(md, found), "find_images", 5)

    markdown_lib.markdown(text, extensions=["extra", "sane_lists", Finder()])
    return found


def render_markdown(text: str) -> Markup:
    """Markdown to safe HTML: raw HTML in the source is sanitised like everything else."""
    html = markdown_lib.markdown(
        text,
        extensions=["extra", "sane_lists", ArticleImagesExtension()],
        output_format="html",
    )
    # The HTML has just been through nh3's allowlist, so it is safe to mark as such.
    return Markup(sanitise(html))  # nosec B704
