"""Output formats: what the Image API names, and what this libvips can really write.

One table shared by request parsing (which formats are valid), info.json (which are
advertised in ``extraFormats``) and the pipeline (how each one is encoded), so the three
cannot disagree.
"""

from __future__ import annotations

import functools

import pyvips

# Every format extension the Image API 3.0 defines (IMG §4.5), with its media type.
IIIF_FORMATS: dict[str, str] = {
    "jpg": "image/jpeg",
    "tif": "image/tiff",
    "png": "image/png",
    "gif": "image/gif",
    "jp2": "image/jp2",
    "pdf": "application/pdf",
    "webp": "image/webp",
}

# The formats the pipeline knows how to encode, in preference order, and the libvips
# saver each needs. jp2 and pdf are deliberately absent: no encoder code for them.
_SAVERS: dict[str, str] = {
    "jpg": "jpegsave_buffer",
    "png": "pngsave_buffer",
    "webp": "webpsave_buffer",
    "gif": "gifsave_buffer",
    "tif": "tiffsave_buffer",
}

# Level 2 already requires these; anything else supported goes in ``extraFormats``.
LEVEL2_FORMATS = ("jpg", "png")


def has_operation(name: str) -> bool:
    """True when this libvips build has the named operation (loader or saver)."""
    gtype: int = pyvips.type_find("VipsOperation", name)
    return gtype != 0


@functools.cache
def supported_formats() -> tuple[str, ...]:
    """Formats this server can encode, decided once from the libvips build in use."""
    return tuple(fmt for fmt, saver in _SAVERS.items() if has_operation(saver))


def media_type(fmt: str) -> str:
    """The Content-Type for a format extension."""
    return IIIF_FORMATS[fmt]
