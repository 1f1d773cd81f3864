"""The built-in readings of oai_dc, MARCXML and MODS: what each element means for a record.

Each reading is the inverse of Opis's own crosswalk (metadata/crosswalks/) first, so a
record harvested from another Opis comes back whole, and a reasonable reading of what
DSpace, ArchivesSpace and library catalogues put in the same places second. The notes
Opis itself generates (full text available, funding) are recognised and turned back
into what they were made from instead of being kept as descriptions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from metadata.readers.oai_map import (
    attr,
    children,
    controlfield,
    datafields,
    subfields,
    text,
    texts,
)
from metadata.record import Agent, Text

FULL_TEXT_NOTE = re.compile(r"^Full text available online: .*\.$")
FUNDING_NOTE = re.compile(r"^Made possible with support from (.+)\.$")
# The DCMI type Opis gives every record; it says nothing the record model keeps.
DCMI_TEXT = "Text"
# Relator terms and codes that mean "creator" in the record model.
_AUTHOR = {"author", "aut", "creator", "cre"}
# The role Opis writes for a contributor that has none.
_NO_ROLE = {"contributor", "ctb"}


@dataclass
class Found:
    """What one format's reading found, before cleaning and the field map.

    ``citations`` are the candidate reference values in search order; ``relations``
    the values that may name further references (alternates, copies elsewhere).
    """

    where: str
    citations: list[str] = field(default_factory=list)
    relations: list[str] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    title_language: str | None = None
    date: list[str] = field(default_factory=list)
    description: list[Text] = field(default_factory=list)
    creators: list[str] = field(default_factory=list)
    contributors: list[Agent] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    rights: list[str] = field(default_factory=list)
    publisher: list[str] = field(default_factory=list)
    collections: list[str] = field(default_factory=list)
    funders: list[str] = field(default_factory=list)


def _notes(found: Found, values: list[tuple[str, str | None]]) -> None:
    """Descriptions, with Opis's generated notes turned back into what they say."""
    for value, language in values:
        funder = FUNDING_NOTE.match(value)
        if funder:
            found.funders.append(funder.group(1))
        elif not FULL_TEXT_NOTE.match(value):
            found.description.append(Text(value, language))


# ---------------------------------------------------------------- oai_dc


def read_dc(root: Any) -> Found:
    found = Found("dc:source, dc:identifier or dc:relation")
    found.citations = [
        *texts(root, "dc:source"),
        *texts(root, "dc:identifier"),
        *texts(root, "dc:relation"),
    ]
    found.relations = texts(root, "dc:relation")
    titles = children(root, "dc:title")
    found.title = [text(t) for t in titles if text(t)]
    found.title_language = attr(titles[0], "xml:lang") if titles else None
    found.date = texts(root, "dc:date")
    _notes(
        found,
        [(text(d), attr(d, "xml:lang")) for d in children(root, "dc:description") if text(d)],
    )
    found.creators = texts(root, "dc:creator")
    found.contributors = [Agent(name) for name in texts(root, "dc:contributor")]
    found.language = texts(root, "dc:language")
    found.subjects = texts(root, "dc:subject")
    found.places = texts(root, "dc:coverage")
    found.types = [t for t in texts(root, "dc:type") if t != DCMI_TEXT]
    found.rights = texts(root, "dc:rights")
    found.publisher = texts(root, "dc:publisher")
    found.collections = [v for v in found.relations if not is_uri(v)]
    return found


# ---------------------------------------------------------------- marc21


def read_marc(root: Any) -> Found:
    found = Found("MARC 524 $a, 852 $j or $h, or 773 $o")
    found.citations = [
        *_subs(root, "524", "a"),
        *_subs(root, "852", "j"),
        *_subs(root, "852", "h"),
        *_subs(root, "773", "o"),
    ]
    found.relations = _subs(root, "535", "a")
    found.title = [" ".join(f) for f in (subfields(d, "a") for d in datafields(root, "245")) if f]
    found.date = [*_subs(root, "264", "c"), *_subs(root, "260", "c"), *_year_008(root)]
    _notes(found, [(v, None) for v in _subs(root, "520", "a") + _subs(root, "500", "a")])
    found.funders += [
        (m.group(1) if (m := FUNDING_NOTE.match(v)) else v) for v in _subs(root, "536", "a")
    ]
    for tag in ("100", "110", "700", "710"):
        for datafield in datafields(root, tag):
            name = " ".join(subfields(datafield, "a")).rstrip(",")
            role = _marc_role(datafield)
            _person(found, name, role, main=tag in ("100", "110"))
    found.language = [code for d in datafields(root, "041") for code in subfields(d, "a")]
    if not found.language:
        fixed = controlfield(root, "008")
        if len(fixed) >= 38 and fixed[35:38].strip() and fixed[35:38] not in ("und", "|||"):
            found.language = [fixed[35:38]]
    found.subjects = [_heading(d) for d in datafields(root, "650")]
    found.places = [_heading(d) for d in datafields(root, "651")]
    found.types = _subs(root, "655", "a")
    found.rights = _subs(root, "540", "a")
    found.publisher = [*_subs(root, "533", "c"), *_subs(root, "264", "b"), *_subs(root, "260", "b")]
    found.collections = [*_subs(root, "830", "a"), *_subs(root, "490", "a")]
    return found


def _subs(root: Any, tag: str, code: str) -> list[str]:
    return [value for d in datafields(root, tag) for value in subfields(d, code)]


def _year_008(root: Any) -> list[str]:
    """008/07-10 (and 11-14 for a range): the years, when nothing better is given."""
    fixed = controlfield(root, "008")
    first, second = fixed[7:11], fixed[11:15]
    if not first.isdigit():
        return []
    if fixed[6:7] in ("i", "k", "m") and second.isdigit() and second != first:
        return [f"{first}/{second}"]
    return [first]


def _heading(datafield: Any) -> str:
    """$a with its ``$x`` subdivisions, as ``A -- B`` (how Opis splits them on the way out)."""
    parts = [*subfields(datafield, "a"), *subfields(datafield, "x")]
    return " -- ".join(p.rstrip(".") if len(parts) > 1 else p for p in parts)


def _marc_role(datafield: Any) -> str | None:
    terms = [t.rstrip(".,").strip() for t in subfields(datafield, "e")]
    codes = subfields(datafield, "4")
    found = terms or codes
    return found[0] if found else None


# ---------------------------------------------------------------- mods


def read_mods(root: Any) -> Found:
    found = Found("MODS note type=preferred citation, location/shelfLocator or identifier")
    found.citations = [
        *(text(n) for n in children(root, "note") if attr(n, "type") == "preferred citation"),
        *(s for loc in children(root, "location") for s in texts(loc, "shelfLocator")),
        *texts(root, "identifier"),
    ]
    found.citations = [c for c in found.citations if c]
    related = children(root, "relatedItem")
    found.relations = [
        i
        for r in related
        if attr(r, "type") == "otherVersion" and attr(r, "displayLabel") != "Source description"
        for i in texts(r, "identifier")
    ]
    found.collections = [
        title
        for r in related
        if attr(r, "type") == "host" and attr(r, "displayLabel") == "Collection"
        for info in children(r, "titleInfo")
        for title in texts(info, "title")
    ]
    infos = [i for i in children(root, "titleInfo") if attr(i, "type") is None]
    infos = infos or children(root, "titleInfo")
    found.title = [_title(info) for info in infos if _title(info)]
    found.title_language = attr(infos[0], "lang") if infos else None
    found.date = _mods_dates(root)
    _notes(
        found,
        [(text(a), attr(a, "lang")) for a in children(root, "abstract") if text(a)],
    )
    for note in children(root, "note"):
        if attr(note, "type") == "funding" and text(note):
            match = FUNDING_NOTE.match(text(note))
            found.funders.append(match.group(1) if match else text(note))
    for name in children(root, "name"):
        _person(found, _name_parts(name), _mods_role(name), main=attr(name, "usage") == "primary")
    found.language = [
        text(term)
        for language in children(root, "language")
        for term in children(language, "languageTerm")
        if attr(term, "type") != "text" and text(term)
    ]
    for subject in children(root, "subject"):
        topics = texts(subject, "topic")
        if topics:
            found.subjects.append(" -- ".join(topics))
        found.places += texts(subject, "geographic")
    found.types = texts(root, "genre")
    found.rights = texts(root, "accessCondition")
    origins = children(root, "originInfo")
    origins.sort(key=lambda o: attr(o, "eventType") != "publication")
    found.publisher = [p for o in origins for p in texts(o, "publisher")]
    return found


def _title(info: Any) -> str:
    parts = [*texts(info, "nonSort"), *texts(info, "title")]
    title = " ".join(parts)
    subtitle = " ".join(texts(info, "subTitle"))
    return f"{title}: {subtitle}" if title and subtitle else title


def _mods_dates(root: Any) -> list[str]:
    """The key date of production, a start/end pair as a range; then any other date."""
    out: list[str] = []
    for origin in children(root, "originInfo"):
        for name in ("dateCreated", "dateIssued", "copyrightDate", "dateOther"):
            dates = children(origin, name)
            start = [text(d) for d in dates if attr(d, "point") == "start" and text(d)]
            end = [text(d) for d in dates if attr(d, "point") == "end" and text(d)]
            if start and end:
                out.append(f"{start[0]}/{end[0]}")
            keyed = [text(d) for d in dates if attr(d, "keyDate") == "yes" and text(d)]
            plain = [text(d) for d in dates if attr(d, "point") is None and text(d)]
            out += [d for d in keyed + plain if d not in out]
    return out


def _name_parts(name: Any) -> str:
    parts = children(name, "namePart")
    family = [text(p) for p in parts if attr(p, "type") == "family" and text(p)]
    given = [text(p) for p in parts if attr(p, "type") == "given" and text(p)]
    if family and given:
        return f"{' '.join(family)}, {' '.join(given)}"
    return " ".join(text(p) for p in parts if attr(p, "type") not in ("date", "termsOfAddress"))


def _mods_role(name: Any) -> str | None:
    terms = [t for role in children(name, "role") for t in children(role, "roleTerm")]
    words = [text(t) for t in terms if attr(t, "type") != "code" and text(t)]
    codes = [text(t) for t in terms if attr(t, "type") == "code" and text(t)]
    found = words or codes
    return found[0] if found else None


# ---------------------------------------------------------------- shared


def _person(found: Found, name: str, role: str | None, *, main: bool) -> None:
    """A name with its role: authors (or the main entry without a role) are creators."""
    name = name.strip()
    if not name:
        return
    folded = role.casefold() if role else None
    if folded in _AUTHOR or (folded is None and main):
        found.creators.append(name)
    else:
        found.contributors.append(Agent(name, None if folded in _NO_ROLE else role))


_URI = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|(?:oai|urn|info|hdl|doi|ark|tag):)\S+$", re.I)


def is_uri(value: str) -> bool:
    """URLs and URIs (``oai:``, ``urn:``, ``hdl:`` ...): links and ids, never citations."""
    return _URI.match(value.strip()) is not None
