"""Article text: Markdown rendered to HTML, then sanitised to an allowlist.

The same function renders the article page, the editor's live preview and the text an
agent inserts into a reply, so what an editor previews is what readers get.
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from markupsafe import Markup

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li",
    "ol", "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
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


def render_markdown(text: str) -> Markup:
    """Markdown to safe HTML: raw HTML in the source is sanitised like everything else."""
    html = markdown_lib.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    # The HTML has just been through nh3's allowlist, so it is safe to mark as such.
    return Markup(sanitise(html))  # nosec B704
