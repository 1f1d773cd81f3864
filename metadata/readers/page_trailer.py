"""The end of a Digital Archive page: facet lists and the Document Information block.

After the document's summary the page lists facets (``Author(s):``, ``Associated
Places`` ...) and then ``Document Information``: Source, Original Archive, Rights,
Original Uploaded Date, Type, Language, Record ID and a funder list. Renders differ:
production pages drop the labels (only values remain), staging copies keep labels and
sometimes lose every link-valued value. This module reads all of them line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from metadata.readers.names import looks_like_organisation

# Facet headings that end the document body; the value is the list they fill.
FACETS = {
    "author(s)": "authors",
    "authors": "authors",
    "associated places": "places",
    "associated topics": "subjects",
    "subjects discussed": "subjects",
    "associated people & organizations": "subjects",
    "associated people and organizations": "subjects",
    "associated collections": "collections",
    "related documents": None,
}
INFO_HEADING = "document information"
# Labels inside Document Information; the value is the field they fill.
_INFO_LABELS = {
    "source": "source",
    "original archive": "archive",
    "rights": "rights",
    "original uploaded date": "uploaded",
    "type": "types",
    "types": "types",
    "language": "languages",
    "languages": "languages",
    "original language": "languages",
    "record id": "record_id",
}
# Labels that staging renders print on one line with their value (``Type Letter``).
_INLINE = ("original uploaded date", "record id", "type", "language", "original language")
_RIGHTS_HINT = re.compile(r"\b(?:rights?|copyright|reuse|permission)\b|^to enquire\b", re.I)
_UPLOADED = re.compile(r"\d{4}-\d{2}(?:-\d{0,2})?|\d{4}-")
_RECORD_ID = re.compile(r"\d+")


@dataclass
class Trailer:
    """What the facet lists and Document Information hold, as text."""

    authors: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    has_info_block: bool = False
    info_lines: int = 0
    source_labelled: bool = False
    source: list[str] = field(default_factory=list)
    archive: list[str] = field(default_factory=list)
    rights: list[str] = field(default_factory=list)
    uploaded: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    record_id: list[str] = field(default_factory=list)
    funders: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def heading_of(line: str) -> str | None:
    """The facet or block heading a line is (lower case), or None for ordinary text."""
    key = line.strip().rstrip(":").strip().lower()
    if key in FACETS or key == INFO_HEADING:
        return key
    if key.startswith("author(s):"):
        return "author(s)"
    return None


def _label(line: str) -> tuple[str | None, str | None]:
    """(label, inline value) for a Document Information line; (None, None) for a value."""
    key = line.rstrip(":").strip().lower()
    if key in _INFO_LABELS or key in FACETS:
        return key, None
    lowered = line.lower()
    for label in (*_INFO_LABELS, *FACETS):
        if lowered.startswith(label + ":"):
            return label, line[len(label) + 1 :].strip() or None
    for label in _INLINE:
        if lowered.startswith(label + " "):
            return label, line[len(label) + 1 :].strip()
    return None, None


def read_trailer(lines: list[str]) -> Trailer:
    """Parse the tidied, non-empty lines from the first facet heading to the page end."""
    out = Trailer()
    target: str | None = None
    in_info = False
    for line in lines:
        if line.lower().rstrip(":") == INFO_HEADING:
            out.has_info_block, in_info, target = True, True, None
            continue
        out.info_lines += in_info
        label, inline = _label(line)
        if label is not None:
            target = FACETS[label] if label in FACETS else _INFO_LABELS[label]
            out.source_labelled = out.source_labelled or label == "source"
            if inline:
                _place(out, target, inline, in_info)
            continue
        target = _place(out, target, line, in_info)
    return out


def _place(out: Trailer, target: str | None, value: str, in_info: bool) -> str | None:
    """File one value line; returns the target the next line continues."""
    if not in_info:
        if target is not None:
            getattr(out, target).append(value)
        return target
    if (
        (target == "uploaded" and not _UPLOADED.fullmatch(value))
        or (target == "record_id" and not _RECORD_ID.fullmatch(value))
        or (
            target in ("types", "languages")
            and (len(value.split()) > 6 or _RIGHTS_HINT.search(value))
        )
        or (target == "source" and out.source and _RIGHTS_HINT.search(value))
    ):
        target = None
    if target is None:
        target = _unlabelled(out, value)
        if target is None:
            return None
    getattr(out, target).append(value)
    return target


def _unlabelled(out: Trailer, value: str) -> str | None:
    """Where a value without a label belongs (production pages print no labels)."""
    if _RIGHTS_HINT.search(value):
        return "rights"
    if not out.source and not out.rights and not out.uploaded and not out.record_id:
        return "source"
    parts = split_funders(value)
    if all(looks_like_organisation(p) for p in parts):
        out.funders.extend(parts)
    else:
        out.unread.append(value)
    return None


def split_funders(text: str) -> list[str]:
    """``MacArthur Foundation and Henry Luce Foundation`` -> two funders.

    The list is only split when every part is evidently an organisation, so
    ``Bill and Melinda Gates Foundation`` stays whole.
    """
    text = re.sub(r"^the\s+", "", text.strip().rstrip(".").strip(), flags=re.I)
    parts = [
        re.sub(r"^the\s+", "", p, flags=re.I) for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", text)
    ]
    parts = [p for p in parts if p]
    if len(parts) > 1 and all(looks_like_organisation(p) for p in parts):
        return parts
    return [text] if text else []
