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
from functools import lru_cache

from metadata import languages
from metadata.record import Record
from metadata.references.keys import decode_value
from metadata.references.levels import LEVEL_OF, LEVELS

from . import _fields
from ._xml import (
    Values,
    attribute,
    element,
    elements,
    enclosed,
    escape,
    open_root,
    quote,
    text,
    unique,
    wrap,
)
from .context import CrosswalkContext

PREFIX = "oai_ead"
NAMESPACE = "urn:isbn:1-931666-22-9"
SCHEMA = "http://www.loc.gov/ead/ead.xsd"
XLINK = "http://www.w3.org/1999/xlink"
IIIF_ROLE = "http://iiif.io/api/presentation/3/context.json"

_OPEN = open_root("ead", f' xmlns="{NAMESPACE}" xmlns:xlink="{XLINK}"', NAMESPACE, SCHEMA)

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


@lru_cache(maxsize=256)
def _level_attrs(name: str | None) -> str:
    """`` level="..."`` and, for a level EAD does not name, `` otherlevel="..."``.

    Cached: a few level names are written for every unit and its ancestors.
    """
    level, other = ead_level(name)
    return attribute("level", level) + attribute("otherlevel", other)


def crosswalk(record: Record, ctx: CrosswalkContext) -> bytes:
    """The ``<ead>`` element for ``record``, UTF-8, no XML declaration."""
    levels = list(record.reference.levels) if record.reference else []
    names = [LEVEL_OF.get(name, name) if name not in LEVELS else name for name, _ in levels]
    values = [value for _, value in levels]
    ead = [_OPEN, header(record, ctx)]
    if len(levels) <= 1:
        first = names[0] if names else None
        unitid = values[-1] if values else None
        attributes = _level_attrs(record.level or first)
        ead.append(wrap("archdesc", describe(record, ctx, unitid, ctx.archive_name), attributes))
        ead.append("</ead>")
        return "".join(ead).encode()
    ead.append(f"<archdesc{_level_attrs(names[0])}><did>")
    if ctx.archive_name:
        ead.append(element("repository", text(ctx.archive_name)))
    ead.append(element("unitid", text(values[0])))
    ead.append(f"{element('unittitle', _unit_title(names, values, ctx, 0))}</did><dsc>")
    # c01..c12 as deep as they go, else plain <c>
    tags = _NUMBERED[: len(levels)] if len(levels) - 1 <= 12 else ("c",) * len(levels)
    for depth in range(1, len(levels) - 1):
        unitid = element("unitid", text(values[depth]))
        unittitle = element("unittitle", _unit_title(names, values, ctx, depth))
        ead.append(f"<{tags[depth]}{_level_attrs(names[depth])}><did>{unitid}{unittitle}</did>")
    attributes = _level_attrs(record.level or names[-1])
    ead.append(wrap(tags[-1], describe(record, ctx, values[-1]), attributes))
    ead.extend(f"</{tag}>" for tag in reversed(tags[1:-1]))  # close the ancestors
    ead.append("</dsc></archdesc></ead>")
    return "".join(ead).encode()


_NUMBERED = tuple(f"c{depth:02d}" for depth in range(13))  # c00 (unused), c01 .. c12


def _unit_title(names: list[str], values: list[str], ctx: CrosswalkContext, depth: int) -> str:
    """``Fond 1``: the context's label for the level when it has one, else the level's."""
    if len(ctx.hierarchy) == len(names):
        label, value = ctx.hierarchy[depth]
        return f"{text(label)} {text(value)}"
    return f"{_label(names[depth])} {text(values[depth])}"


def _label(name: str) -> str:
    return LEVELS[name][1] if name in LEVELS else name.replace("_", " ").capitalize()


def header(record: Record, ctx: CrosswalkContext) -> str:
    """The ``eadheader``: the record's OAI identifier and page, its title, the publisher."""
    identifier = text(ctx.oai_identifier)
    return _header(
        element("eadid", identifier, attribute("url", ctx.record_url)),
        _fields.title(record) or identifier,
        text(ctx.repository_name) or "Opis",
    )


def _header(eadid: str, title: str, publisher: str) -> str:
    return (
        f"<eadheader>{eadid}<filedesc><titlestmt>{element('titleproper', title)}</titlestmt>"
        f"<publicationstmt>{element('publisher', publisher)}</publicationstmt></filedesc>"
        "</eadheader>"
    )


def describe(
    record: Record,
    ctx: CrosswalkContext,
    unitid: str | None,
    repository: str | None = None,
) -> str:
    """The unit's own description: ``did`` first, then the notes EAD puts after it.

    ``repository``: the archive's name, given for the ``archdesc`` only (a component
    does not repeat it).
    """
    did: list[str] = []
    if repository:
        did.append(element("repository", text(repository)))
    if unitid:
        did.append(element("unitid", text(unitid)))
    did.append(element("unittitle", _fields.title(record) or text(unitid) or "Untitled"))
    date = text(record.date)
    if date:
        dates = _fields.read_date(record.date)
        normal = None
        if dates is not None and dates.start:
            normal = f"{dates.start}/{dates.end}" if dates.end else dates.start
        did.append(element("unitdate", date, attribute("normal", normal)))
    for name in unique(list(record.origination or record.creators)):
        tag = "corpname" if _fields.is_body(name) else "persname"
        did.append(f"<origination><{tag}>{escape(name)}</{tag}></origination>")
    did.append(enclosed(record.extent, "<physdesc><extent>", "</extent></physdesc>"))
    did.append(_langmaterial(tuple(record.language)))
    did.append(elements("physloc", record.location))
    for href in unique([ctx.manifest_url, *record.daos]):
        role = f' xlink:role="{IIIF_ROLE}"' if href == ctx.manifest_url else ""
        did.append(f'<dao xlink:type="simple" xlink:href="{quote(href)}"{role}/>')
    notes = [_fields.full_text_note(record), *_fields.funding_notes(record)]
    url = text(ctx.record_url)
    link = f'<extref xlink:type="simple" xlink:href="{quote(url)}">{escape(url)}</extref>'
    return "".join(
        (
            f"<did>{''.join(did)}</did>",
            _note("scopecontent", [d.value for d in record.description] or record.scope),
            _note("accessrestrict", record.access),
            _note("userestrict", [*record.use, *([record.rights] if record.rights else [])]),
            _note("odd", [n for n in notes if n]),
            _controlaccess(record),
            f"<otherfindaid><p>{link}</p></otherfindaid>",
        )
    )


@lru_cache(maxsize=256)
def _langmaterial(values: tuple[str, ...]) -> str:
    """The record's languages; cached, as records repeat a few combinations of them."""
    codes = unique(values)
    if not codes:
        return ""
    written = []
    for code in codes:
        name = languages.name(code) or code
        bib = attribute("langcode", languages.to_bibliographic(code))
        written.append(f"<language{bib}>{escape(name)}</language>")
    return f"<langmaterial>{''.join(written)}</langmaterial>"


def _controlaccess(record: Record) -> str:
    terms = elements("subject", record.subjects) + elements("geogname", record.places)
    return f"<controlaccess>{terms}</controlaccess>" if terms else ""


def _note(tag: str, paragraphs: Values) -> str:
    written = elements("p", paragraphs)
    return f"<{tag}>{written}</{tag}>" if written else ""


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
    own = units.get(fond_key)
    archive = fond_key.split("/", 1)[0]
    if ape:
        ids = (
            attribute("countrycode", country or "XX")
            + attribute("mainagencycode", _agency(archive, country))
            + attribute("identifier", text(fond_key))
        )
    else:
        ids = ""
    eadid = element("eadid", text(fond_key), ids + attribute("url", url))
    title = _fields.title(own[0]) if own else _segment_title(fond_key)
    ead = [_OPEN, _header(eadid, title, text(repository_name) or "Opis")]
    if ape:  # apeEAD: the archdesc is always a fonds, described as an inventory
        attributes = ' level="fonds" type="inventory"'
    else:
        attributes = _level_attrs(own[0].level if own else _segment_name(fond_key))
    ead.append(f"<archdesc{attributes}>")
    if own:
        record, ctx = own
        ead.append(
            describe(record, ctx, _segment_value(fond_key), ctx.archive_name or archive_name)
        )
    else:
        did = [element("repository", text(archive_name))] if archive_name else []
        did.append(element("unitid", _segment_value(fond_key)))
        did.append(element("unittitle", title))
        ead.append(f"<did>{''.join(did)}</did>")
    if tree.get(fond_key):
        ead.append(
            f"<dsc>{''.join(_component(child, units, tree) for child in tree[fond_key])}</dsc>"
        )
    ead.append("</archdesc></ead>")
    return "".join(ead).encode()


def _component(
    key: str, units: dict[str, tuple[Record, CrosswalkContext]], tree: dict[str, list[str]]
) -> str:
    """The ``<c>`` for ``key`` with every component below it (iterative: no depth limit)."""
    out: list[str] = []
    # a stack of keys to open, and of closing tags (None) to write once the children are done
    stack: list[str | None] = [key]
    while stack:
        item = stack.pop()
        if item is None:
            out.append("</c>")
            continue
        unit = units.get(item)
        level = unit[0].level if unit else None
        out.append(f"<c{_level_attrs(level or _segment_name(item))}>")
        if unit:
            out.append(describe(unit[0], unit[1], _segment_value(item)))
        else:
            unitid = element("unitid", _segment_value(item))
            out.append(f"<did>{unitid}{element('unittitle', _segment_title(item))}</did>")
        stack.append(None)
        stack.extend(reversed(tree.get(item, [])))
    return "".join(out)


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
