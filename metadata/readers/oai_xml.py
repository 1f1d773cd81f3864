"""Reader for harvested OAI-PMH metadata: oai_dc, MARCXML (marc21) and MODS -> a record.

One record's ``<metadata>`` child comes in as bytes (or text) and is read with
xmltodict. The parse refuses any DOCTYPE before anything in it is processed, so an
external entity is never fetched and an entity-expansion bomb is never expanded; an
entity reference without a declaration is refused too.

The archival reference decides where a document sits in the tree, so a record counts
only when one is found: first where the field map says, then in the format's usual
places (``dc:source``, ``dc:identifier``, ``dc:relation``; MARC 524, 852, 773; MODS
preferred-citation note, ``location/shelfLocator``, ``identifier``). A value counts only
when ``metadata.references.parse`` reads a reference with an archive from it; URLs and
URIs never do. A record without one is a ``ReaderError`` that says where it looked:
Opis reports it rather than invent a place for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn
from xml.parsers import expat

import xmltodict

from metadata.readers.cleaning import clean_string, removal_warning
from metadata.readers.dates import parse_display_date, validate_iso_date
from metadata.readers.languages import language_code
from metadata.readers.limits import DEFAULT_LIMITS, Limits, within_limits
from metadata.readers.oai_formats import Found, is_uri, read_dc, read_marc, read_mods
from metadata.readers.oai_map import FieldMap, Rule
from metadata.readers.result import ReaderError, ReadResult
from metadata.record import Agent, Record, Reference, Source, Text
from metadata.references import parse

DC = "http://purl.org/dc/elements/1.1/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
MARC = "http://www.loc.gov/MARC21/slim"
MODS = "http://www.loc.gov/mods/v3"
_NAMESPACES = {
    DC: "dc",
    OAI_DC: "oai_dc",
    MARC: None,
    MODS: None,
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://www.w3.org/XML/1998/namespace": "xml",
    "http://www.w3.org/1999/xlink": "xlink",
}
# prefix -> (root element names, reading); a MARC or MODS collection wrapper is opened.
_FORMATS: dict[str, tuple[tuple[str, ...], Callable[[Any], Found]]] = {
    "oai_dc": (("oai_dc:dc", "dc"), read_dc),
    "marc21": (("record", "collection/record"), read_marc),
    "mods": (("mods", "modsCollection/mods"), read_mods),
}
PREFIXES = tuple(_FORMATS)
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_DATE_FORMAT = "YYYY, YYYY-MM, YYYY-MM-DD or a range A/B"


class _Refused(Exception):
    """The XML declares a DOCTYPE: DTDs and entities are never processed."""


class _SafeExpat:
    """expat for xmltodict, with a parser that stops at the first DOCTYPE declaration."""

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:
        parser = expat.ParserCreate(*args, **kwargs)

        def doctype(name: str, *_: Any) -> None:
            raise _Refused(f"a DOCTYPE declaration (<!DOCTYPE {name} ...>)")

        def entity(name: str, *_: Any) -> NoReturn:
            raise _Refused(f"an entity declaration ({name})")

        parser.StartDoctypeDeclHandler = doctype
        parser.EntityDeclHandler = entity
        parser.ExternalEntityRefHandler = entity
        return parser


def parse_xml(xml: bytes | str) -> dict[str, Any]:
    """xmltodict's tree of ``xml``, refusing DTDs and entities; ReaderError when unusable."""
    try:
        return xmltodict.parse(
            xml,
            expat=_SafeExpat,
            process_namespaces=True,
            namespaces=_NAMESPACES,
            disable_entities=True,
        )
    except _Refused as exc:
        raise ReaderError(
            f"refused: the XML holds {exc}; DTDs and entities are never processed, so no "
            "external entity is fetched and no entity is expanded"
        ) from None
    except expat.ExpatError as exc:
        if "undefined entity" in str(exc):
            raise ReaderError(
                f"refused: the XML uses an entity reference ({exc}); entities are never expanded"
            ) from None
        raise ReaderError(f"not well-formed XML: {exc}") from None
    except ValueError as exc:  # xmltodict's own entity guard
        raise ReaderError(f"refused: {exc}; entities are never expanded") from None


def read_oai_record(
    xml: bytes | str,
    prefix: str,
    *,
    source: Source,
    field_map: FieldMap | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> ReadResult:
    """Read one harvested record's metadata (the child of ``<metadata>``).

    ``source`` identifies the record at the provider (its OAI identifier) and is kept
    as the record's ``source``, so a later harvest of the same record finds it again.
    A record over one of ``limits`` is a ``ReaderError``.
    """
    if prefix not in _FORMATS:
        raise ReaderError(
            f"metadata format {prefix!r} is not one Opis reads ({', '.join(PREFIXES)})"
        )
    names, reading = _FORMATS[prefix]
    root = _root(parse_xml(xml), names, prefix)
    found = reading(root)
    builder = _Builder(found, root, field_map or FieldMap())
    return within_limits(builder.build(source), limits)


def _root(tree: dict[str, Any], names: tuple[str, ...], prefix: str) -> Any:
    for name in names:
        node: Any = tree
        for step in name.split("/"):
            node = node.get(step) if isinstance(node, dict) else None
            if isinstance(node, list):
                node = node[0]
        if node is not None:
            return node if isinstance(node, dict) else {"#text": node}
    got = next(iter(tree), "nothing")
    raise ReaderError(f"not {prefix} metadata: the root element is {got!r}, not {names[0]!r}")


class _Builder:
    """Turns what a reading found (and the map's overrides) into a checked record."""

    def __init__(self, found: Found, root: Any, field_map: FieldMap) -> None:
        self.found = found
        self.root = root
        self.map = field_map
        self.warnings: list[str] = []

    def values(self, name: str, default: list[str]) -> list[str]:
        """The map's values for ``name`` when it maps it, else the reading's; cleaned."""
        rules: tuple[Rule, ...] = self.map.get(name)
        raw = [v for rule in rules for v in rule.values(self.root)] if rules else default
        return [c for c in (self.clean(name, v) for v in raw) if c]

    def clean(self, name: str, value: str) -> str:
        cleaned, removed = clean_string(value.strip())
        if removed:
            self.warnings.append(removal_warning(name, removed))
        return cleaned.strip()

    def build(self, source: Source) -> ReadResult:
        found = self.found
        citation, references = self.reference()
        title, title_language = self.title()
        record = Record(
            title=title,
            title_language=title_language,
            citation=citation,
            reference=references[0] if references else None,
            alternates=references[1:],
            date=self.date(),
            description=self.description(),
            creators=tuple(_unique(self.values("creators", found.creators))),
            contributors=self.contributors(),
            language=self.languages(),
            subjects=tuple(_unique(self.values("subjects", found.subjects))),
            places=tuple(_unique(self.values("places", found.places))),
            collections=self.collections(),
            types=tuple(_unique(self.values("types", found.types))),
            publisher=_first(self.values("publisher", found.publisher)),
            rights=_first(self.values("rights", found.rights)),
            funders=tuple(_unique(self.clean("funders", f) for f in found.funders)),
            source=source,
        )
        return ReadResult(record, tuple(self.warnings))

    # -- the archival reference ----------------------------------------------

    def reference(self) -> tuple[str | None, tuple[Reference, ...]]:
        """The first candidate that names a unit in an archive, and its references.

        A record with none is still read (a library's Dublin Core has no archival
        citation): it has no reference, and the harvester keys it from its identifier.
        """
        mapped = [v for rule in self.map.get("reference") for v in rule.values(self.root)]
        for value in (self.clean("reference", v) for v in [*mapped, *self.found.citations]):
            if not value or is_uri(value):
                continue
            citation = parse(value)
            primary = citation.primary
            if primary is None or not primary.archive:
                continue
            if citation.inferred_archive:
                self.warnings.append(
                    f"citation {value!r} names no archive; {primary.archive} inferred from "
                    "its style"
                )
            return value, self.with_relations(citation.references)
        where = self.found.where
        if self.map.get("reference"):
            where = "the places the map names, " + where
        self.warnings.append(f"no archival reference found in {where}")
        return None, ()

    def with_relations(self, references: tuple[Reference, ...]) -> tuple[Reference, ...]:
        """Further units the record relates to (copies elsewhere) become alternates."""
        out = list(references)
        units = {(r.archive, r.levels) for r in out}
        for value in self.found.relations:
            if is_uri(value):
                continue
            for reference in parse(value).references:
                # a relation naming a unit already cited (maybe with its sheets) adds nothing
                if reference.archive and (reference.archive, reference.levels) not in units:
                    out.append(reference)
                    units.add((reference.archive, reference.levels))
        return tuple(out)

    # -- the other fields -----------------------------------------------------

    def title(self) -> tuple[str, str | None]:
        """The first title and its language (unknown when the map chose the title)."""
        titles = self.values("title", self.found.title)
        if not titles:
            self.warnings.append("no title in the record; given the devised title [Untitled]")
            return "[Untitled]", None
        mapped = bool(self.map.get("title"))
        return titles[0], None if mapped else self.language_tag(self.found.title_language)

    def date(self) -> str | None:
        for value in self.values("date", self.found.date):
            date = _iso_date(value)
            if date:
                return date
            self.warnings.append(f"date {value!r} is not {_DATE_FORMAT}; left out")
        return None

    def description(self) -> tuple[Text, ...]:
        if self.map.get("description"):
            return tuple(Text(v) for v in _unique(self.values("description", [])))
        out: list[Text] = []
        for item in self.found.description:
            value = self.clean("description", item.value)
            language = self.language_tag(item.language)
            if value and all(t.value != value for t in out):
                out.append(Text(value, language))
        return tuple(out)

    def contributors(self) -> tuple[Agent, ...]:
        if self.map.get("contributors"):
            return tuple(Agent(v) for v in _unique(self.values("contributors", [])))
        out: list[Agent] = []
        for agent in self.found.contributors:
            name = self.clean("contributors", agent.name)
            if name and Agent(name, agent.role) not in out:
                out.append(Agent(name, agent.role))
        return tuple(out)

    def languages(self) -> tuple[str, ...]:
        codes: list[str] = []
        for value in self.values("language", self.found.language):
            code = language_code(value)
            if code is None:
                self.warnings.append(f"language {value!r} is not a language Opis knows; left out")
            elif code not in codes:
                codes.append(code)
        return tuple(codes)

    def language_tag(self, value: str | None) -> str | None:
        """An ``xml:lang``/``lang`` attribute as the record keeps it; None when unknown."""
        return language_code(value) if value else None

    def collections(self) -> tuple[str, ...]:
        """Named collections: relation values that are neither links nor references."""
        values = self.values("collections", self.found.collections)
        if self.map.get("collections"):
            return tuple(_unique(values))
        return tuple(_unique(v for v in values if not any(r.archive for r in parse(v).references)))


def _iso_date(value: str) -> str | None:
    """The record's ISO form of a date as providers write it, or None."""
    value = value.strip()
    if validate_iso_date(value) is None:
        return value
    if _TIMESTAMP.match(value):  # the day of a timestamp is the date
        return value[:10] if validate_iso_date(value[:10]) is None else None
    return parse_display_date(value) or parse_display_date(_dacs(value))


def _dacs(value: str) -> str:
    """``1946 April 20`` (DACS, as MARC 264 $c has it) -> ``April 20 1946``; ranges too."""
    pieces = [piece.strip() for piece in value.rstrip(".").split("-")]
    out = []
    for piece in pieces:
        words = piece.split()
        if len(words) >= 2 and words[0].isdigit() and len(words[0]) == 4:
            words = [*words[1:], words[0]]
        out.append(" ".join(words))
    return " - ".join(out)


def _unique(values: Any) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _first(values: list[str]) -> str | None:
    return values[0] if values else None
