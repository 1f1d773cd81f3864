"""Files that are an image *and* something else (a ZIP, a PDF, a script) are refused.

Opis never serves the uploaded bytes (pages are re-encoded into pyramids), so a
polyglot could not reach a browser through it; it is refused all the same, because an
archive keeps what it is given and should not keep a disguised payload. The check
finds where the image really ends by walking its structure, and refuses what follows:
PNG ends with its IEND chunk; JPEG with the EOI marker after the entropy-coded scans
(thumbnails inside APP segments are skipped by their lengths, not mistaken for it).
"""

from __future__ import annotations

import struct

# A little trailing padding (zeros, a newline) is common and harmless.
ALLOWED_TRAILER = 64


def trailing_bytes(data: bytes, fmt: str) -> int:
    """How many bytes follow the end of the image (0 when it cannot tell)."""
    end = {"png": _png_end, "jpeg": _jpeg_end}.get(fmt, lambda _: None)(data)
    if end is None:
        return 0
    rest = data[end:]
    return len(rest.rstrip(b"\x00\r\n \t"))


def _png_end(data: bytes) -> int | None:
    position = 8
    while position + 8 <= len(data):
        length: int
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return min(position, len(data))
    return None


def _jpeg_end(data: bytes) -> int | None:
    position = 2  # after SOI
    size = len(data)
    while position + 4 <= size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            while position + 1 < size:
                if data[position] == 0xFF and data[position + 1] not in (0x00, *range(0xD0, 0xD8)):
                    break
                position += 1
    return None
