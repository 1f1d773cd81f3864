"""What one record contributes to the search index: its words by field, its tags, its
facet values and its place in the archival tree.

Words are grouped by field because a match in the title says more than one in the text
(ranking weighs them). *Tags* are exact values that are matched whole, never as words:
the containers the document sits in (so a citation in any written form, once parsed,
finds its unit, and a search can be narrowed to a fond), the containers of its
alternate references, its decade, year, languages and types, and sample buckets (so
facet counts over a huge result set can be estimated from a fixed fraction of it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

from metadata.languages import name as language_name
from metadata.record import Record, Reference
from metadata.references import archive_name, canonical, key_prefixes, locator, unit_key
from metadata.sets import containers
from repository.store.search.text import fold

# Tag kinds: container (from the key), alternate reference's container, decade, year,
# language, type, sample bucket.
CONTAINER, ALTERNATE, DECADE, YEAR, LANGUAGE, TYPE, SAMPLE = "c", "r", "d", "y", "l", "t", "s"
# A record whose id is divisible by k carries the sample tag k: 1/k of all records.
SAMPLE_RATES: tuple[int, ...] = tuple(2**n for n in range(1, 11))
ROOT = "/"  # the parent of archives in the tree rows
HERE = ""  # the child of a document's own container: "a document lives here"
SEPARATOR = "\x1f"  # between packed values (languages, types)
_YEAR = re.compile(r"^(\d{4})")


@dataclass(frozen=True)
class Document:
    """A record as the index sees it. Text fields are already folded."""

    record_id: int
    title: str
    meta: str
    refs: str
    body: str
    pages: str  # the text on its page images (ALTO, PAGE XML), line by line
    tags: tuple[tuple[str, str], ...]
    archive: str
    fond: str
    decade: str
    year: str
    languages: tuple[str, ...]
    types: tuple[str, ...]
    tree: tuple[tuple[str, str], ...]  # (parent, child) rows; child HERE for the document

    def numbered(self, record_id: int, pages: str = "") -> Document:
        """This document as the record ``record_id`` with the page words ``pages``: the
        sample tags its id earns come last."""
        samples = tuple((SAMPLE, str(rate)) for rate in SAMPLE_RATES if record_id % rate == 0)
        return replace(self, record_id=record_id, pages=pages, tags=self.tags + samples)


def document(record_id: int, record: Record, pages: str = "") -> Document:
    """``pages``: the folded words of the record's page text (the store keeps them apart
    from the record, with their boxes)."""
    return unnumbered(record).numbered(record_id, pages)


def unnumbered(record: Record) -> Document:
    """The document before the store gives the record its id and its page words: what
    ingest builds where it prepares the record, so that the write has only to number it
    (``Document.numbered``)."""
    assert record.key is not None, "records are indexed once they have a key"
    places = containers(record.key)
    year_match = _YEAR.match(record.date or "")
    year = year_match.group(1) if year_match else ""
    decade = year[:3] + "0" if year else ""
    languages = tuple(dict.fromkeys(record.language))
    types = tuple(dict.fromkeys(record.types))
    tags: list[tuple[str, str]] = [(CONTAINER, prefix) for prefix in places]
    for other in record.alternates:
        tags += [(ALTERNATE, prefix) for prefix in _prefixes(other)]
    if year:
        tags += [(DECADE, decade), (YEAR, year)]
    tags += [(LANGUAGE, code) for code in languages]
    tags += [(TYPE, value) for value in types]
    parents = [ROOT, *places]
    tree = [(parents[i], places[i]) for i in range(len(places))]
    tree.append((places[-1], HERE))
    return Document(
        record_id=0,
        title=fold(record.title),
        meta=fold(" ".join(_meta(record))),
        refs=fold(" ".join(_refs(record))),
        body=fold("\n".join(body.content for body in record.text)),
        pages="",
        tags=tuple(dict.fromkeys(tags)),
        archive=places[0],
        fond=places[1] if len(places) > 1 else "",
        decade=decade,
        year=year,
        languages=languages,
        types=types,
        tree=tuple(tree),
    )


def _meta(record: Record) -> list[str]:
    """Everything describing the document except its own words and its citation."""
    out = [text.value for text in record.description]
    out += record.creators
    out += [agent.name for agent in record.contributors]
    out += record.subjects
    out += record.places
    out += record.collections
    out += record.types
    out += record.funders
    out += [language_name(code) or code for code in record.language]
    out += [v for v in (record.publisher, record.date, record.source.id) if v]
    return out


def _refs(record: Record) -> list[str]:
    """The citation as written and the forms Opis gives it: canonical, with sheets, archive."""
    out = [record.citation or ""]
    for ref in (record.reference, *record.alternates):
        if ref is None:
            continue
        out += [locator(ref) or "", canonical(ref) or ""]
        if ref.archive:
            out.append(archive_name(ref.archive) or "")
    return [text for text in out if text]


def _prefixes(ref: Reference) -> list[str]:
    try:
        key = unit_key(ref)
        return key_prefixes(key) if key else []
    except ValueError:
        return []


def tally(combinations: Iterable[tuple[str, str, str, str, int]]) -> dict[str, Counter[str]]:
    """Facet counters from (archive, decade, languages, types, count) rows."""
    counts: dict[str, Counter[str]] = {
        "archive": Counter(),
        "decade": Counter(),
        "language": Counter(),
        "type": Counter(),
    }
    for archive, decade, languages, types, n in combinations:
        counts["archive"][archive] += n
        counts["decade"][decade] += n
        for code in languages.split(SEPARATOR) if languages else ():
            counts["language"][code] += n
        for value in types.split(SEPARATOR) if types else ():
            counts["type"][value] += n
    return counts
