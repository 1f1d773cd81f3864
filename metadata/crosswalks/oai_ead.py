"""Record -> EAD 2002 (``oai_ead``): a complete finding aid for one unit, in its context.

The ``<ead>`` document has an ``eadheader`` (``eadid`` is the record's OAI identifier,
with the record page as ``url``; the title names the unit) and an ``archdesc`` that is
the top of the record's key: the fonds or collection. Each level of the key below it is
a nested component (``c01``, ``c02`` ...), down to the record itself, described in
full: unitid, title, dates, extent, origination, languages, containers, digital
objects (the IIIF manifest and the EAD ``dao`` links), scope and content, access and
use conditions, subjects and places. Ancestors carry their level and unitid only: a
record holds no ancestor's description, and it must not (retitling a series would then
change every record below it). A record whose key has one level is the archdesc itself.

Valid against EAD 2002 ``ead.xsd`` (SAA, 2021 revision).
"""

from __future__ import annotations

import re

from metadata import languages
from metadata.record import Record
from metadata.references.keys import decode_value
from metadata.references.levels import LEVEL_OF, LEVELS

from . import _fields
from ._xml import Element, add, root, serialize, text, unique
from .context import CrosswalkContext

PREFIX = "oai_ead"
NAMESPACE = "urn:isbn:1-931666-22-9"
SCHEMA = "http://www.loc.gov/ead/ead.xsd"
XLINK = "http://www.w3.org/1999/xlink"
E = f"{{{NAMESPACE}}}"
TYPE, HREF, ROLE = (f"{{{XLINK}}}{name}" for name in ("type", "href", "role"))
IIIF_ROLE = "http://iiif.io/api/presentation/3/context.json"

# EAD 2002 @level values
EAD_LEVELS = frozenset(
    {
        "class",
        "collection",
        "file",
        "fonds",
        "item",
        "recordgrp",
        "series",
        "subfonds",
        "subgrp",
        "subseries",
    }
)
# key level name -> EAD @level (others are otherlevel)
FROM_KEY = {
    "fond": "fonds",
    "collection": "collection",
    "record_group": "recordgrp",
    "series": "series",
    "subseries": "subseries",
    "file": "file",
    "item": "item",
    "section": "class",
    "subdivision": "subfonds",
    "delo": "file",
}


def ead_level(name: str | None) -> tuple[str, str | None]:
    """(@level, @otherlevel) for a record's level or a key level name."""
    if not name:
        return "otherlevel", "unit"
    lowered = name.lower()
    if lowered in EAD_LEVELS:
        return lowered, None
    if lowered in FROM_KEY:
        return FROM_KEY[lowered], None
    return "otherlevel", lowered


def _level_attrs(name: str | None) -> dict[str, str | None]:
    level, other = ead_level(name)
    return {"level": level, "otherlevel": other}


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<ead>`` element for ``record``, UTF-8, no XML declaration."""
    ead = root(f"{E}ead", {None: NAMESPACE, "xlink": XLINK}, NAMESPACE, SCHEMA)
    header(ead, record, ctx)
    levels = list(record.reference.levels) if record.reference else []
    names = [LEVEL_OF.get(name, name) if name not in LEVELS else name for name, _ in levels]
    values = [value for _, value in levels]
    if len(levels) <= 1:
        first = names[0] if names else None
        archdesc = add(ead, f"{E}archdesc", **_level_attrs(record.level or first))
        describe(archdesc, record, ctx, values[-1] if values else None)
        return serialize(ead)
    archdesc = add(ead, f"{E}archdesc", **_level_attrs(names[0]))
    did = add(archdesc, f"{E}did")
    if ctx.archive_name:
        add(did, f"{E}repository", text(ctx.archive_name))
    add(did, f"{E}unitid", text(values[0]))
    add(did, f"{E}unittitle", _unit_title(names, values, ctx, 0))
    parent = add(archdesc, f"{E}dsc")
    numbered = len(levels) - 1 <= 12  # c01..c12 as deep as they go, else plain <c>
    for depth in range(1, len(levels) - 1):
        name, value = names[depth], values[depth]
        c = add(parent, f"{E}c{depth:02d}" if numbered else f"{E}c", **_level_attrs(name))
        cdid = add(c, f"{E}did")
        add(cdid, f"{E}unitid", text(value))
        add(cdid, f"{E}unittitle", _unit_title(names, values, ctx, depth))
        parent = c
    depth = len(levels) - 1
    tag = f"{E}c{depth:02d}" if numbered else f"{E}c"
    unit = add(parent, tag, **_level_attrs(record.level or names[-1]))
    describe(unit, record, ctx, values[-1])
    return serialize(ead)


def _unit_title(names: list[str], values: list[str], ctx: CrosswalkContext, depth: int) -> str:
    """``Fond 1``: the context's label for the level when it has one, else the level's."""
    if len(ctx.hierarchy) == len(names):
        label, value = ctx.hierarchy[depth]
        return f"{text(label)} {text(value)}"
    return f"{_label(names[depth])} {text(values[depth])}"


def _label(name: str) -> str:
    return LEVELS[name][1] if name in LEVELS else name.replace("_", " ").capitalize()


def header(ead: Element, record: Record, ctx: CrosswalkContext) -> None:
    eadheader = add(ead, f"{E}eadheader")
    add(eadheader, f"{E}eadid", text(ctx.oai_identifier), url=ctx.record_url)
    filedesc = add(eadheader, f"{E}filedesc")
    titlestmt = add(filedesc, f"{E}titlestmt")
    add(titlestmt, f"{E}titleproper", _fields.title(record) or text(ctx.oai_identifier))
    publication = add(filedesc, f"{E}publicationstmt")
    add(publication, f"{E}publisher", text(ctx.repository_name) or "Opis")


def describe(unit: Element, record: Record, ctx: CrosswalkContext, unitid: str | None) -> None:
    """The unit's own description: ``did`` first, then the notes EAD puts after it."""
    did = add(unit, f"{E}did")
    if unit.tag == f"{E}archdesc" and ctx.archive_name:
        add(did, f"{E}repository", text(ctx.archive_name))
    if unitid:
        add(did, f"{E}unitid", text(unitid))
    add(did, f"{E}unittitle", _fields.title(record) or text(unitid) or "Untitled")
    if text(record.date):
        dates = _fields.read_date(record.date)
        normal = None
        if dates is not None and dates.start:
            normal = f"{dates.start}/{dates.end}" if dates.end else dates.start
        add(did, f"{E}unitdate", text(record.date), normal=normal)
    for name in unique(list(record.origination or record.creators)):
        origination = add(did, f"{E}origination")
        tag = "corpname" if _fields.is_body(name) else "persname"
        add(origination, f"{E}{tag}", name)
    for extent in unique(list(record.extent)):
        physdesc = add(did, f"{E}physdesc")
        add(physdesc, f"{E}extent", extent)
    codes = unique(list(record.language))
    if codes:
        langmaterial = add(did, f"{E}langmaterial")
        for code in codes:
            name = languages.name(code) or code
            bib = languages.to_bibliographic(code)
            add(langmaterial, f"{E}language", name, langcode=bib)
    for place in unique(list(record.location)):
        add(did, f"{E}physloc", place)
    links = unique([ctx.manifest_url, *record.daos])
    for href in links:
        role = IIIF_ROLE if href == ctx.manifest_url else None
        add(did, f"{E}dao", **{TYPE: "simple", HREF: href, ROLE: role})
    _note(unit, "scopecontent", [d.value for d in record.description] or list(record.scope))
    _note(unit, "accessrestrict", list(record.access))
    _note(unit, "userestrict", [*record.use, *([record.rights] if record.rights else [])])
    notes = [_fields.full_text_note(record), *_fields.funding_notes(record)]
    _note(unit, "odd", [n for n in notes if n])
    subjects, places = unique(list(record.subjects)), unique(list(record.places))
    if subjects or places:
        controlaccess = add(unit, f"{E}controlaccess")
        for subject in subjects:
            add(controlaccess, f"{E}subject", subject)
        for place in places:
            add(controlaccess, f"{E}geogname", place)
    otherfindaid = add(unit, f"{E}otherfindaid")
    p = add(otherfindaid, f"{E}p")
    add(p, f"{E}extref", text(ctx.record_url), **{TYPE: "simple", HREF: text(ctx.record_url)})


def _note(unit: Element, tag: str, paragraphs: list[str]) -> None:
    values = unique(list[str | None](paragraphs))
    if not values:
        return
    note = add(unit, f"{E}{tag}")
    for value in values:
        add(note, f"{E}p", value)


# -- the whole finding aid of a fonds (GET /ead/<archive>/<fond-key>.xml) ----------------


def finding_aid(
    fond_key: str,
    units: dict[str, tuple[Record, CrosswalkContext]],
    *,
    url: str,
    repository_name: str,
    archive_name: str | None,
    ape: bool = False,
    country: str | None = None,
) -> bytes:
    """A complete ``<ead>`` for the fonds ``fond_key``: every unit stored under it, nested.

    ``units`` maps keys (the fonds' own and its descendants') to their record and
    context. A level of the tree no record describes (a key prefix only) is a component
    with its level and unitid. ``ape`` gives the Archives Portal Europe profile
    (apeEAD.xsd): the ``eadid`` carries ``countrycode``, ``mainagencycode`` and
    ``identifier``, and ``archdesc`` is ``type="inventory"``.
    """
    tree: dict[str, list[str]] = {}
    for key in units:
        segments = key.split("/")
        for n in range(len(fond_key.split("/")) + 1, len(segments) + 1):
            above, below = "/".join(segments[: n - 1]), "/".join(segments[:n])
            children = tree.setdefault(above, [])
            if below not in children:
                children.append(below)
    for children in tree.values():
        children.sort(key=_natural)
    ead = root(f"{E}ead", {None: NAMESPACE, "xlink": XLINK}, NAMESPACE, SCHEMA)
    own = units.get(fond_key)
    eadheader = add(ead, f"{E}eadheader")
    archive = fond_key.split("/", 1)[0]
    if ape:
        add(
            eadheader,
            f"{E}eadid",
            text(fond_key),
            countrycode=country or "XX",
            mainagencycode=_agency(archive, country),
            identifier=text(fond_key),
            url=url,
        )
    else:
        add(eadheader, f"{E}eadid", text(fond_key), url=url)
    filedesc = add(eadheader, f"{E}filedesc")
    titlestmt = add(filedesc, f"{E}titlestmt")
    title = _fields.title(own[0]) if own else _segment_title(fond_key)
    add(titlestmt, f"{E}titleproper", title)
    publication = add(filedesc, f"{E}publicationstmt")
    add(publication, f"{E}publisher", text(repository_name) or "Opis")
    level = own[0].level if own else _segment_name(fond_key)
    attrs = _level_attrs(level)
    if ape:  # apeEAD: the archdesc is always a fonds, described as an inventory
        attrs = {"level": "fonds", "type": "inventory"}
    archdesc = add(ead, f"{E}archdesc", **attrs)
    if own:
        record, ctx = own
        describe(archdesc, record, ctx, _segment_value(fond_key))
        did = archdesc.find(f"{E}did")
        if did is not None and did.find(f"{E}repository") is None and archive_name:
            repository = add(did, f"{E}repository", text(archive_name))
            did.remove(repository)
            did.insert(0, repository)
    else:
        did = add(archdesc, f"{E}did")
        if archive_name:
            add(did, f"{E}repository", text(archive_name))
        add(did, f"{E}unitid", _segment_value(fond_key))
        add(did, f"{E}unittitle", title)
    if tree.get(fond_key):
        dsc = add(archdesc, f"{E}dsc")
        stack: list[tuple[Element, str]] = [(dsc, child) for child in reversed(tree[fond_key])]
        while stack:
            holder, child_key = stack.pop()
            unit = units.get(child_key)
            level = unit[0].level if unit else None
            c = add(holder, f"{E}c", **_level_attrs(level or _segment_name(child_key)))
            if unit:
                describe(c, unit[0], unit[1], _segment_value(child_key))
            else:
                cdid = add(c, f"{E}did")
                add(cdid, f"{E}unitid", _segment_value(child_key))
                add(cdid, f"{E}unittitle", _segment_title(child_key))
            stack.extend((c, grandchild) for grandchild in reversed(tree.get(child_key, [])))
    return serialize(ead)


def _segment(key: str) -> tuple[str, str]:
    last = key.rsplit("/", 1)[-1]
    abbr, _, value = last.partition(".")
    return LEVEL_OF.get(abbr, abbr), decode_value(value) if value else abbr


def _segment_name(key: str) -> str:
    return _segment(key)[0]


def _segment_value(key: str) -> str:
    return _segment(key)[1]


def _segment_title(key: str) -> str:
    name, value = _segment(key)
    return f"{_label(name)} {value}"


def _natural(key: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", key) if p]


def _agency(archive: str, country: str | None) -> str:
    """apeEAD's ``mainagencycode`` (ISIL-like ``CC-code``)."""
    if _ISIL.fullmatch(archive):
        return archive
    suffix = re.sub(r"[^a-zA-Z0-9:/-]", "", archive)[:11] or "unknown"
    return f"{country or 'XX'}-{suffix}"


_ISIL = re.compile(r"[A-Z]{2}-[a-zA-Z0-9:/\-]{1,11}")
