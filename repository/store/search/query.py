"""Reading what a person typed into the search box.

A query that reads as an archival citation (``ГАППОД ф.1 оп.89 д.112``,
``GAPPOD, f.1, op.89, d.112``, a key) finds what is filed under that unit, through the
container tags, so every written variant finds the same documents and a fond-level
citation finds the whole fond. Anything else is words: every word must match,
``"quoted words"`` must match as a phrase, and ``word*`` matches words that begin so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from metadata.references import canonical, parse, parse_key, unit_key
from metadata.sets import containers
from repository.store.search.document import (
    ALTERNATE,
    CONTAINER,
    DECADE,
    LANGUAGE,
    SAMPLE,
    TYPE,
    YEAR,
)
from repository.store.search.text import PRIVATE, words

# Facet name -> the tag kind that filters on it.
FACETS: dict[str, str] = {
    "archive": CONTAINER,
    "fond": CONTAINER,
    "decade": DECADE,
    "year": YEAR,
    "language": LANGUAGE,
    "type": TYPE,
}
# Every filter a query accepts: the facets, and any container by its key ("within").
FILTERS: dict[str, str] = {**FACETS, "within": CONTAINER}
MAX_TERMS = 12
MAX_LENGTH = 500
_CHUNK = re.compile(r'"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Term:
    """Folded words that must occur together, in order; the last one may be a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()
    units: tuple[str, ...] = ()  # key prefixes a citation names: any of them
    filters: tuple[tuple[str, str], ...] = ()  # (facet name, value): all of them
    citation: str | None = None  # the citation as Opis writes it, when the text was one

    @property
    def empty(self) -> bool:
        return not (self.terms or self.units or self.filters)


def read(text: str, filters: Mapping[str, str] | None = None) -> Query:
    """The query for ``text`` narrowed by facet ``filters`` (facet name -> value)."""
    chosen = tuple((n, v) for n, v in (filters or {}).items() if n in FILTERS and v)
    text = PRIVATE.sub(" ", text or "")[:MAX_LENGTH].strip()
    units, citation, rest = _citation(text)
    return Query(terms=terms(rest), units=units, filters=chosen, citation=citation)


def terms(text: str) -> tuple[Term, ...]:
    out: list[Term] = []
    for match in _CHUNK.finditer(text):
        quoted, bare = match.groups()
        found = words(quoted if quoted is not None else bare)
        if found:
            prefix = bare is not None and bare.endswith("*")
            out.append(Term(tuple(found), prefix))
    return tuple(dict.fromkeys(out))[:MAX_TERMS]


def _citation(text: str) -> tuple[tuple[str, ...], str | None, str]:
    """(unit keys, canonical citation, words left over) when ``text`` is a citation."""
    if not any(char.isdigit() for char in text):
        return (), None, text
    if "/" in text and " " not in text:
        try:
            ref = parse_key(text.split("/doc.")[0])
        except ValueError:
            pass
        else:
            return (containers(text)[-1],), canonical(ref), ""
    found = parse(text)
    units: dict[str, str | None] = {}
    for ref in found.references:
        try:
            key = unit_key(ref)
        except ValueError:
            key = None
        if key:
            units.setdefault(key, canonical(ref))
    if not units:
        return (), None, text
    return tuple(units), next(iter(units.values())), found.remainder


Tag = tuple[str, str]


def required_tags(query: Query, sample: int = 1) -> tuple[list[Tag], list[Tag]]:
    """The (kind, value) tags a matching record carries: (any one of, every one of).

    A citation matches a record filed under it or one citing it as an alternate; every
    filter holds, and a sample rate keeps one record in ``sample``. Each backend writes
    the tags in its own query syntax.
    """
    either = [(kind, unit) for unit in query.units for kind in (CONTAINER, ALTERNATE)]
    every = [(FILTERS[name], value) for name, value in query.filters]
    if sample > 1:
        every.append((SAMPLE, str(sample)))
    return either, every
