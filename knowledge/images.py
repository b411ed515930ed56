"""Screenshots for articles: only real PNG, JPEG, GIF and WebP pictures are kept.

The file's name and the type the browser claims say nothing: an HTML page or an SVG (which
can carry scripts) renamed `step2.png` is still a page. So the bytes are read: the format's
signature, then its header decoded and its structure walked far enough to know the picture's
width and height and that it is what it says, with nothing tucked in after its end. Images
are then stored under a name of their own and served with the type found here (see
`workspace/knowledge.py`, `image`), with `nosniff`, so a browser never guesses another.

No imaging library is installed: the four headers are small, documented and parsed here.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# A picture wider or taller than this is no screenshot, and one this large decoded would be a
# burden on every reader's browser (a "decompression bomb" is small on disk, huge in memory).
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000
FORMATS = "PNG, JPEG, GIF or WebP"


@dataclass(frozen=True)
class RasterImage:
    """What the bytes say the picture is."""

    content_type: str
    extension: str
    width: int
    height: int


class NotAnImage(ValueError):
    """The bytes are not a well-formed picture of a format this module knows."""


def max_bytes() -> int:
    return int(getattr(settings, "KNOWLEDGE_IMAGE_MAX_BYTES", DEFAULT_MAX_BYTES))


def check_upload(upload: UploadedFile) -> tuple[RasterImage, bytes]:
    """The picture an upload holds and its bytes, or a ValidationError that says what is wrong."""
    name = PurePath((upload.name or "image").replace("\\", "/")).name
    limit = max_bytes()
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            f"{name}: an image can be at most {limit // (1024 * 1024)} MB.", code="too_large"
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            f"{name}: an image can be at most {limit // (1024 * 1024)} MB.", code="too_large"
        )
    if not data:
        raise ValidationError(f"{name}: the file is empty.", code="empty")
    try:
        image = inspect(data)
    except NotAnImage as problem:
        raise ValidationError(f"{name}: {problem}", code="not_an_image") from None
    return image, data


def inspect(data: bytes) -> RasterImage:
    """Decode the header of a PNG, JPEG, GIF or WebP file; anything else is `NotAnImage`."""
    for signature, reader in READERS:
        if data.startswith(signature):
            image = reader(data)
            break
    else:
        raise NotAnImage(_what_it_looks_like(data))
    if not (0 < image.width <= MAX_SIDE and 0 < image.height <= MAX_SIDE):
        raise NotAnImage(
            f"a picture of {image.width} × {image.height} pixels is too large or empty "
            f"(at most {MAX_SIDE} pixels a side)."
        )
    if image.width * image.height > MAX_PIXELS:
        raise NotAnImage(f"a picture of {image.width} × {image.height} pixels is too large.")
    return image


def _what_it_looks_like(data: bytes) -> str:
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<"):
        kind = "an SVG drawing" if b"<svg" in head else "HTML or other markup"
        return (
            f"this is {kind}, not a picture, whatever its name says. "
            f"Upload a screenshot as a {FORMATS} image."
        )
    return f"this is not a {FORMATS} image, whatever its name says."


def _broken(kind: str, why: str) -> NotAnImage:
    return NotAnImage(f"this {kind} file is damaged or not really a {kind} ({why}).")


# PNG: an 8-byte signature, then chunks (length, type, data, CRC), IHDR first and IEND last.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}


def _read_png(data: bytes) -> RasterImage:
    position = len(PNG_SIGNATURE)
    width = height = 0
    seen_data = False
    first = True
    inflater = zlib.decompressobj()
    while True:
        if position + 12 > len(data):
            raise _broken("PNG", "it ends before its last chunk")
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 8 + length
        if end + 4 > len(data):
            raise _broken("PNG", "a chunk runs past the end of the file")
        body = data[position + 8 : end]
        (crc,) = struct.unpack(">I", data[end : end + 4])
        if zlib.crc32(kind + body) != crc:
            raise _broken("PNG", "a chunk's checksum is wrong")
        if first:
            if kind != b"IHDR" or length != 13:
                raise _broken("PNG", "it does not start with its header")
            width, height, depth, colour, compression, filtering, interlace = struct.unpack(
                ">IIBBBBB", body
            )
            if depth not in PNG_DEPTHS.get(colour, ()) or compression or filtering:
                raise _broken("PNG", "its header is not valid")
            if interlace not in (0, 1):
                raise _broken("PNG", "its header is not valid")
            first = False
        elif kind == b"IDAT":
            # The start of the pixel data must be a valid deflate stream: a little of it is
            # inflated (a bounded amount, so a bomb costs nothing here).
            if not seen_data:
                try:
                    inflater.decompress(body, 4096)
                except zlib.error:
                    raise _broken("PNG", "its pixel data cannot be read") from None
            seen_data = True
        elif kind == b"IEND":
            if not seen_data:
                raise _broken("PNG", "it holds no pixel data")
            if end + 4 != len(data):
                raise _broken("PNG", "there is data after the end of the picture")
            return RasterImage("image/png", "png", width, height)
        position = end + 4


# JPEG: segments, each a marker (FF xx) and most with a length; a frame header (SOFn) gives
# the size; entropy-coded scans follow SOS up to EOI (FF D9).
JPEG_SIGNATURE = b"\xff\xd8\xff"
JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _read_jpeg(data: bytes) -> RasterImage:
    position = 2
    width = height = 0
    while True:
        # A marker is FF and its code, maybe after more FF bytes (fill).
        if position >= len(data) or data[position] != 0xFF:
            raise _broken("JPEG", "a segment does not start with a marker")
        while position < len(data) and data[position] == 0xFF:
            position += 1
        if position >= len(data):
            raise _broken("JPEG", "it ends before its picture data")
        marker = data[position]
        position += 1
        if marker in JPEG_STANDALONE:
            continue
        if marker == 0xD9:
            raise _broken("JPEG", "it ends before its picture data")
        if position + 2 > len(data):
            raise _broken("JPEG", "a segment runs past the end of the file")
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > len(data):
            raise _broken("JPEG", "a segment runs past the end of the file")
        if marker in JPEG_FRAMES:
            if length < 8:
                raise _broken("JPEG", "its frame header is too short")
            _precision, height, width, components = struct.unpack(
                ">BHHB", data[position + 2 : position + 8]
            )
            if components not in (1, 3, 4) or length != 8 + 3 * components:
                raise _broken("JPEG", "its frame header is not valid")
        elif marker == 0xDA:
            if not width:
                raise _broken("JPEG", "it has no frame header before its picture data")
            return _jpeg_end(data, position + length, width, height)
        position += length


def _jpeg_end(data: bytes, position: int, width: int, height: int) -> RasterImage:
    """Walk the scans to the end marker: in scan data an FF byte is followed by 00 (stuffing)
    or a restart marker; any other marker is a segment between scans (progressive JPEGs)."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            raise _broken("JPEG", "it has no end marker")
        marker = data[position + 1]
        if marker == 0x00 or marker == 0xFF or marker in JPEG_STANDALONE:
            position += 1 if marker == 0xFF else 2
            continue
        if marker == 0xD9:
            break
        if position + 4 > len(data):
            raise _broken("JPEG", "a segment runs past the end of the file")
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2 or position + 2 + length > len(data):
            raise _broken("JPEG", "a segment runs past the end of the file")
        position += 2 + length
    if data[position + 2 :].strip(b"\x00\xff \t\r\n"):
        raise _broken("JPEG", "there is data after the end of the picture")
    return RasterImage("image/jpeg", "jpg", width, height)


# GIF: a header, the logical screen (width, height, flags), an optional colour table, then
# blocks: extensions (21), images (2C), each ending in a zero-length sub-block, and 3B.
def _read_gif(data: bytes) -> RasterImage:
    if len(data) < 13:
        raise _broken("GIF", "its header is too short")
    width, height, flags = struct.unpack("<HHB", data[6:11])
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    frames = 0
    while position < len(data):
        block = data[position]
        if block == 0x3B:
            if not frames:
                raise _broken("GIF", "it holds no picture")
            if data[position + 1 :].strip(b"\x00"):
                raise _broken("GIF", "there is data after the end of the picture")
            return RasterImage("image/gif", "gif", width, height)
        if block == 0x21:
            position = _gif_sub_blocks(data, position + 2)
        elif block == 0x2C:
            if position + 10 > len(data):
                raise _broken("GIF", "a picture's header is cut short")
            local = data[position + 9]
            position += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0)
            position = _gif_sub_blocks(data, position + 1)  # after the LZW code size
            frames += 1
        else:
            raise _broken("GIF", "it holds a block of an unknown kind")
    raise _broken("GIF", "it has no end marker")


def _gif_sub_blocks(data: bytes, position: int) -> int:
    while True:
        if position >= len(data):
            raise _broken("GIF", "it ends in the middle of a block")
        size = data[position]
        position += 1 + size
        if size == 0:
            return position


# WebP: a RIFF container ("RIFF", size, "WEBP") of chunks; the first is VP8 (lossy), VP8L
# (lossless) or VP8X (extended, with the canvas size), each with its own small header.
def _read_webp(data: bytes) -> RasterImage:
    if data[8:12] != b"WEBP":
        raise NotAnImage(_what_it_looks_like(data))
    if len(data) < 20:
        raise _broken("WebP", "its header is too short")
    (riff_size,) = struct.unpack("<I", data[4:8])
    if riff_size + 8 != len(data) and riff_size + 9 != len(data):
        raise _broken("WebP", "its length does not match its contents")
    chunks = list(_riff_chunks(data, 12, riff_size + 8))
    kind, body = chunks[0]
    if kind == b"VP8X":
        if len(body) < 10:
            raise _broken("WebP", "its header is too short")
        width = 1 + int.from_bytes(body[4:7], "little")
        height = 1 + int.from_bytes(body[7:10], "little")
        if not any(k in (b"VP8 ", b"VP8L", b"ANMF") for k, _ in chunks[1:]):
            raise _broken("WebP", "it holds no picture")
        return RasterImage("image/webp", "webp", width, height)
    if kind == b"VP8 ":
        if len(body) < 10 or body[3:6] != b"\x9d\x01\x2a":
            raise _broken("WebP", "its picture header is not valid")
        w, h = struct.unpack("<HH", body[6:10])
        return RasterImage("image/webp", "webp", w & 0x3FFF, h & 0x3FFF)
    if kind == b"VP8L":
        if len(body) < 5 or body[0] != 0x2F:
            raise _broken("WebP", "its picture header is not valid")
        (bits,) = struct.unpack("<I", body[1:5])
        if bits >> 29:
            raise _broken("WebP", "its picture header is not valid")
        return RasterImage("image/webp", "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    raise _broken("WebP", "it does not start with a picture")


def _riff_chunks(data: bytes, position: int, end: int) -> list[tuple[bytes, bytes]]:
    chunks = []
    while position < end:
        if position + 8 > end:
            raise _broken("WebP", "a chunk runs past the end of the file")
        kind, size = struct.unpack("<4sI", data[position : position + 8])
        if position + 8 + size > end:
            raise _broken("WebP", "a chunk runs past the end of the file")
        chunks.append((kind, data[position + 8 : position + 8 + size]))
        position += 8 + size + (size & 1)
    if not chunks:
        raise _broken("WebP", "it is empty")
    return chunks


READERS = [
    (PNG_SIGNATURE, _read_png),
    (JPEG_SIGNATURE, _read_jpeg),
    (b"GIF87a", _read_gif),
    (b"GIF89a", _read_gif),
    (b"RIFF", _read_webp),
]
