"""What an agent puts into a reply from an article: a link to it, or its text.

Replies are plain text (the requester reads them in email and in the portal), so the text
is the article's Markdown made readable as it stands: links written out, images named,
markup dropped.
"""

from __future__ import annotations

import html
import re

import nh3
from django.conf import settings
from django.urls import reverse

from .models import Article

IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]+)\]\(\s*([^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+", re.MULTILINE)
EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
BLANK_LINES = re.compile(r"\n{3,}")


def article_url(article: Article) -> str:
    """The article's page in the portal, as a full address to send in a reply."""
    return f"{settings.SITE_URL}{reverse('portal:knowledge-article', args=[article.slug])}"


def link_text(article: Article) -> str:
    return f"{article.title}: {article_url(article)}"


def reply_text(article: Article) -> str:
    """The article's title, its steps as plain text, and where to read it with pictures."""
    return (
        f"{article.title}\n\n{plain_text(article.body)}\n\nThe full article: {article_url(article)}"
    )


def plain_text(markdown: str) -> str:
    text = IMAGE.sub(lambda match: f"({match[1]})" if match[1] else "", markdown)
    text = LINK.sub(lambda match: f"{match[1]} ({_absolute(match[2])})", text)
    text = HEADING.sub("", text)
    text = EMPHASIS.sub(r"\2", text)
    # Raw HTML in the source: keep its words, drop its tags.
    text = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
    return BLANK_LINES.sub("\n\n", text).strip()


def _absolute(href: str) -> str:
    return f"{settings.SITE_URL}{href}" if href.startswith("/") else href
