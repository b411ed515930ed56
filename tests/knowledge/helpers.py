"""Helpers of the knowledge tests: an article's text, a published article, a real PNG."""

import struct
import zlib

from accounts.models import User
from knowledge import services
from knowledge.models import Article, Revision


def text(title: str = "Connect to the VPN", body: str = "1. Open AnyConnect.\n2. Sign in.", **kw):
    return services.Text(title=title, body=body, **kw)


def published(by: User, *, editor: User, **kw) -> Article:
    """An article written by `by` and published by `editor`, as it happens in the editor."""
    article = services.create_article(text=kw.pop("text", None) or text(), by=by, submit=True, **kw)
    services.approve_revision(current(article), by=editor)
    article.refresh_from_db()
    return article


def png(width: int = 3, height: int = 2, *, trailer: bytes = b"") -> bytes:
    """A real PNG of the given size (grey pixels), made the way the format says."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(min(height, 64)))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
        + trailer
    )


def current(article: Article) -> Revision:
    """The revision whose text readers see (every article written through the services has one)."""
    assert article.current_revision is not None
    return article.current_revision
