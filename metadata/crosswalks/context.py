"""What a crosswalk needs besides the record.

The record knows nothing of URLs, the repository's name or how its reference is
spelled canonically; the repository layer computes those once and hands them over
here, so the crosswalks stay pure functions of (record, context).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CrosswalkContext:
    """What a crosswalk needs besides the record.

    The links and display strings the repository layer computes.
    """

    oai_identifier: str  # "oai:opis.example.org:GAPPOD/f.1/op.89/d.112"
    record_url: str  # the web page of the record
    manifest_url: str | None  # IIIF manifest URL, None when the record has no page images
    repository_name: str  # the repository's name (publisher of the digital copy)
    reference_canonical: str | None  # "GAPPOD f.1 op.89 d.112" (None: no parsed reference)
    archive_code: str | None  # "GAPPOD"
    archive_name: str | None  # "Azerbaijan State Archive of Political Parties and Social Movements"
    hierarchy: tuple[tuple[str, str], ...] = ()  # (("Fond","1"),("Opis","89"),("Delo","112"))
    sheets: str | None = None  # "9-15"
    alternates: tuple[str, ...] = ()  # canonical strings of alternate references (copies)
    collection_urls: tuple[str, ...] = ()  # not required
