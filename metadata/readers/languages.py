"""Language names and codes as sources give them, turned into the record's BCP 47 tags.

The Digital Archive shows language names (``Russian``); its old API used ISO 639-2/B
codes (``rus``, ``ger``). The record keeps ISO 639-1 primary tags (``ru``, ``de``), as
OAI and IIIF clients expect; the table is ``metadata.languages``.
"""

from __future__ import annotations

import re

from metadata.languages import from_any

_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")


def language_code(value: str) -> str | None:
    """ISO 639-1 code for a language name or ISO 639 code; None when it is not known.

    A BCP 47 tag with a two-letter primary subtag (``en``, ``zh-Hant``) is kept as given.
    """
    text = value.strip()
    if _TAG.fullmatch(text) and "-" in text and len(text.split("-")[0]) == 2:
        primary, *rest = text.split("-")
        return "-".join([primary.lower(), *rest])
    return from_any(text)


def split_language_names(value: str) -> list[str]:
    """``Russian, English and Chinese`` -> the three names, as a facet line lists them."""
    return [part for part in re.split(r"\s*(?:,|;|\band\b)\s*", value.strip()) if part]
