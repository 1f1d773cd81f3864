"""EAD finding aids (EAD 2002 with or without namespace, EAD3, or inside OAI-PMH): units.

Every component (``archdesc``, ``c``, ``c01``..``c12``) becomes one record: its level,
title, dates, extent, scope and content, access and use conditions, origination,
languages, subjects, places, containers (physical location, never key levels), digital
object links and the key of its parent. A ``<dao>`` naming an image file beside the
finding aid becomes a page of the unit (its path, for ingest to read); a link to a IIIF
manifest is kept in ``iiif_manifests`` as well as in ``daos`` (readers/daos.py).

The key is the archive plus the ``unitid`` path down the tree, each step named by the
component's level (``fonds`` -> ``f.``, ``series`` -> ``s.``, ``file`` -> ``fl.`` ...).
A component without a ``unitid`` (or whose ``unitid`` a sibling already uses) is keyed by
its ``id`` attribute (``id:ref55``), else by its containers (``box1-folder24``: they
identify it, though they are never key levels), else by its position among its siblings
(``n3``): never by a running count over the whole finding aid, so adding a unit
elsewhere does not move another's key.

The reader streams (``lxml.etree.iterparse``): only the chain of open components is
held, so memory stays flat as the finding aid grows. Entity declarations are refused
and nothing is fetched from the network. It reads a binary stream it is given and never
opens a file itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from metadata import untrusted_xml
from metadata.languages import from_any
from metadata.readers import daos
from metadata.readers.limits import DEFAULT_LIMITS, Limits, record_problems
from metadata.readers.result import ReaderError, ReadResult
from metadata.record import Page, Record, Reference, Source, Text
from metadata.references.keys import document_key
from metadata.references.registry import RegistryNotLoaded, current

EAD_NS = "urn:isbn:1-931666-22-9"
EAD3_NS = "http://ead3.archivists.org/schema/"
XLINK_NS = "http://www.w3.org/1999/xlink"
_EAD_NAMESPACES = ("", EAD_NS, EAD3_NS)

COMPONENTS = frozenset({"archdesc", "c", *(f"c{n:02d}" for n in range(1, 13))})

# EAD @level -> key level name (metadata/references/levels.py)
LEVELS = {
    "fonds": "fond",
    "collection": "collection",
    "recordgrp": "record_group",
    "subgrp": "subdivision",
    "subfonds": "subdivision",
    "class": "section",
    "series": "series",
    "subseries": "subseries",
    "file": "file",
    "item": "item",
}
DOCUMENT_LEVELS = frozenset({"file", "item"})
# How every unit's source id begins (``ead:<eadid>#<unitid path>``), so its identity too
SOURCE_PREFIX = "ead:"
_SUBJECTS = ("subject", "persname", "corpname", "famname", "genreform", "function", "occupation")
_NOTES = {
    "scopecontent": "scope",
    "accessrestrict": "access",
    "userestrict": "use",
}


class NotEAD(ReaderError):
    """Well-formed XML with no ``<ead>`` in it: some other kind of XML file."""


@dataclass
class _Frame:
    """A component still open in the stream: what has been read of it so far."""

    tag: str
    line: int
    level: str | None
    other: str | None
    id: str | None
    position: int
    parent: _Frame | None
    used: set[tuple[str, str]] = field(default_factory=set)
    children: int = 0
    unitid: str | None = None
    title: str | None = None
    date: str | None = None
    extent: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)
    access: list[str] = field(default_factory=list)
    use: list[str] = field(default_factory=list)
    origination: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    location: list[str] = field(default_factory=list)
    daos: list[str] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    levels: tuple[tuple[str, str], ...] | None = None
    repository: str | None = None
    containers: list[str] = field(default_factory=list)


@dataclass
class _Header:
    id: str | None = None
    codes: list[str] = field(default_factory=list)
    title: str | None = None


def read_ead(
    stream: IO[bytes],
    *,
    name: str = "finding aid",
    archive: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[ReadResult]:
    """The units of every finding aid in ``stream``, each after all it holds (post-order).

    ``archive`` overrides the archive code the header gives. Raises ``ReaderError``
    (naming ``name``, the element and its line) on the first thing that cannot be read;
    a caller that wants a finding aid whole or not at all reads it through once first.
    """
    try:
        yield from _read(stream, name, archive, limits)
    except etree.XMLSyntaxError as exc:
        raise ReaderError(f"{name}: not well-formed XML: {exc}") from None


def _read(
    stream: IO[bytes], name: str, archive: str | None, limits: Limits
) -> Iterator[ReadResult]:
    events = untrusted_xml.iterparse(stream, ("start", "end"))
    frame: _Frame | None = None
    header: _Header | None = None
    code: str | None = None
    checked = False
    found = False
    for event, elem in events:
        if not checked:
            checked = True
            _refuse_entities(elem, name)
        if not isinstance(elem.tag, str):
            continue
        ns, tag = _split(elem.tag)
        if ns not in _EAD_NAMESPACES:
            if event == "end" and frame is None and header is None:
                elem.clear()
            continue
        if event == "start":
            if tag == "ead":
                header, frame, code = _Header(), None, None
                found = True
            elif tag in COMPONENTS and header is not None:
                if frame is None and tag != "archdesc":
                    raise _error(name, elem, "a component outside archdesc")
                if frame is not None:
                    frame.children += 1
                    _key_levels(frame, name, elem)
                frame = _Frame(
                    tag=tag,
                    line=elem.sourceline or 0,
                    level=elem.get("level"),
                    other=elem.get("otherlevel"),
                    id=elem.get("id"),
                    position=frame.children if frame is not None else 1,
                    parent=frame,
                )
            continue
        # end
        if header is None:
            continue
        if tag == "ead":
            header = None
            elem.clear()
            continue
        if frame is None:
            _header_part(header, tag, elem)
            continue
        if tag in COMPONENTS:
            done = frame
            _key_levels(done, name, elem)
            if code is None:
                code = _archive_code(archive, header, done, name, elem)
            yield _unit(done, header, code, name, limits)
            frame = done.parent
            # forget the sibling components already read: only their shells remain
            parent = elem.getparent()
            prev = elem.getprevious()
            while parent is not None and prev is not None and _is_component(prev):
                parent.remove(prev)
                prev = elem.getprevious()
            elem.clear(keep_tail=False)
            continue
        if elem.getparent() is not None and _owner(elem) is not None:
            _component_part(frame, tag, elem, name)
    if not found:
        raise NotEAD(f"{name}: no <ead> element: not an EAD finding aid")


def _refuse_entities(elem: Any, name: str) -> None:
    dtd = elem.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ReaderError(f"{name}: declares XML entities (<!ENTITY>), which Opis refuses")


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def _local(elem: Any) -> str:
    return _split(elem.tag)[1] if isinstance(elem.tag, str) else ""


def _is_component(elem: Any) -> bool:
    return _local(elem) in COMPONENTS


_CONTAINERS = frozenset(
    {"did", "controlaccess", "physdesc", "langmaterial", "languageset", "daogrp", "daoset"}
)


def _owner(elem: Any) -> Any:
    """The component directly holding ``elem`` (through ``did`` or ``controlaccess``)."""
    parent = elem.getparent()
    while parent is not None and not _is_component(parent):
        if _local(parent) not in _CONTAINERS:
            return None
        parent = parent.getparent()
    return parent


def _text(elem: Any, skip_head: bool = False) -> str:
    parts: list[str] = []
    if skip_head:
        for child in elem:
            if _local(child) == "head":
                if child.tail:
                    parts.append(child.tail)
                continue
            parts.extend(child.itertext() if isinstance(child.tag, str) else ())
            if child.tail:
                parts.append(child.tail)
        parts.insert(0, elem.text or "")
    else:
        parts = list(elem.itertext())
    return re.sub(r"\s+", " ", " ".join(parts)).strip()


def _header_part(header: _Header, tag: str, elem: Any) -> None:
    if tag in ("eadid", "recordid"):
        header.id = header.id or _text(elem) or None
        main, country = elem.get("mainagencycode"), elem.get("countrycode")
        if main:
            header.codes.append(main)
            if country and not main.upper().startswith(country.upper() + "-"):
                header.codes.append(f"{country}-{main}")
    elif tag == "agencycode":
        header.codes.insert(0, _text(elem))
    elif tag == "titleproper" and header.title is None:
        header.title = _text(elem) or None


def _link_attribute(elem: Any, name: str, ead3: str) -> str | None:
    """An XLink attribute as EAD 2002 (namespaced or not) or EAD3 (``ead3``) writes it."""
    value = elem.get(f"{{{XLINK_NS}}}{name}") or elem.get(name) or elem.get(ead3)
    return value.strip() if value and value.strip() else None


def _digital_object(frame: _Frame, elem: Any, name: str) -> None:
    """A ``<dao>``/``<daoloc>``: a page image when it names an image file beside the
    finding aid, else a link (a IIIF manifest link kept apart too); see readers/daos.py."""
    href = _link_attribute(elem, "href", "href")
    if not href:
        return
    role = _link_attribute(elem, "role", "linkrole")
    found = daos.kind(href, role)
    if found is daos.Kind.IMAGE:
        path = daos.local_path(href)
        if path is not None and not path.is_absolute() and daos.leaves_folder(path):
            raise _error(
                name,
                elem,
                f"the image {href!r} is outside the finding aid's folder ('..'); only "
                "images in that folder are read",
            )
        if all(page.image != href for page in frame.pages):
            label = _link_attribute(elem, "title", "linktitle")
            frame.pages.append(Page(image=href, label=label))
        return
    if href not in frame.daos:
        frame.daos.append(href)
    if found is daos.Kind.MANIFEST and href not in frame.manifests:
        frame.manifests.append(href)


def _component_part(frame: _Frame, tag: str, elem: Any, name: str) -> None:
    parent = _local(elem.getparent())
    if tag == "unitid" and parent == "did":
        if frame.unitid is None and _text(elem):
            frame.unitid = _text(elem)
    elif tag == "unittitle" and parent == "did":
        frame.title = frame.title or _text(elem) or None
    elif tag in ("unitdate", "unitdatestructured") and parent == "did":
        frame.date = frame.date or elem.get("normal") or _text(elem) or None
    elif tag == "extent" and parent in ("physdesc", "physdescstructured"):
        unit = elem.get("unit")
        value = _text(elem)
        frame.extent.append(f"{value} {unit}" if unit and unit not in value else value)
    elif parent == "did" and (
        tag == "physdescstructured" or (tag == "physdesc" and not frame.extent)
    ):
        value = _text(elem)
        if value:
            frame.extent.append(value)
    elif tag == "repository" and parent == "did":
        frame.repository = frame.repository or _text(elem) or None
    elif tag in ("origination",) and parent == "did":
        value = _text(elem)
        if value:
            frame.origination.append(value)
    elif tag == "language" and parent in ("langmaterial", "languageset"):
        code = from_any(elem.get("langcode") or _text(elem))
        if code and code not in frame.languages:
            frame.languages.append(code)
    elif tag in ("container", "physloc") and parent == "did":
        value = _text(elem)
        kind = elem.get("type") or elem.get("localtype")
        if value:
            frame.location.append(f"{kind} {value}" if kind and tag == "container" else value)
            if tag == "container":
                frame.containers.append(f"{kind or 'container'}{value}")
    elif tag in ("dao", "daoloc"):
        _digital_object(frame, elem, name)
    elif tag in _NOTES and _is_component(elem.getparent()):
        value = _text(elem, skip_head=True)
        if value:
            getattr(frame, _NOTES[tag]).append(value)
    elif tag in _SUBJECTS and parent == "controlaccess":
        value = _text(elem)
        if value and value not in frame.subjects:
            frame.subjects.append(value)
    elif tag == "geogname" and parent == "controlaccess":
        value = _text(elem)
        if value and value not in frame.places:
            frame.places.append(value)
    else:
        return
    if tag not in ("dao", "daoloc", "language"):
        elem.clear(keep_tail=True)


_CODE = re.compile(r"[^A-Z0-9-]+")


def _archive_code(archive: str | None, header: _Header, frame: _Frame, name: str, elem: Any) -> str:
    """The archive: as given, else the registry's code for the header's agency or the
    archdesc's repository, else the agency code as written (upper case)."""
    if archive:
        return archive
    root = frame
    while root.parent is not None:
        root = root.parent
    try:
        registry = current()
    except RegistryNotLoaded:
        registry = None
    candidates = [*header.codes, *([root.repository] if root.repository else [])]
    for candidate in candidates:
        entry = registry.get(candidate) if registry is not None and candidate else None
        if entry is not None:
            return entry.code
    for candidate in header.codes:
        code = _CODE.sub("-", candidate.upper()).strip("-")
        if code:
            return code
    if root.repository:
        initials = "".join(
            w[0] for w in re.findall(r"[^\W\d_]+", root.repository) if w[0].isupper()
        )
        code = _CODE.sub("", initials.upper())
        if len(code) >= 2:
            return code
    raise ReaderError(
        f"{name}: the header (<eadid mainagencycode> or <agencycode>) names no agency and "
        "<archdesc><did><repository> no archive the registry knows: give the archive with "
        "opis ingest --archive CODE"
    )


def _key_levels(frame: _Frame, name: str, elem: Any) -> tuple[tuple[str, str], ...]:
    """The frame's key levels, fixed the first time they are needed."""
    if frame.levels is not None:
        return frame.levels
    level = LEVELS.get((frame.level or "").lower(), "unit")
    if frame.level == "otherlevel" and frame.other:
        level = LEVELS.get(frame.other.lower(), "unit")
    above = frame.parent.levels if frame.parent is not None else ()
    assert above is not None
    used = frame.parent.used if frame.parent is not None else set()
    step: tuple[str, str] | None = None
    boxes = "-".join(re.sub(r"\s+", "", c) for c in frame.containers) or None
    for value in (frame.unitid, frame.id and f"id:{frame.id}", boxes, f"n{frame.position}"):
        if value and (level, value) not in used:
            step = (level, value)
            break
    if step is None:
        raise _error(name, elem, "two sibling components with the same id")
    used.add(step)
    frame.levels = (*above, step)
    return frame.levels


def _unit(frame: _Frame, header: _Header, code: str, name: str, limits: Limits) -> ReadResult:
    levels = frame.levels or ()
    reference = Reference(code, levels)
    parent = None
    if frame.parent is not None and frame.parent.levels is not None:
        parent = document_key(Reference(code, frame.parent.levels))
    aid = header.id or (levels[0][1] if levels else None) or "ead"
    path = "/".join(f"{n}.{v}" for n, v in levels)
    title = frame.title or (frame.date and f"{frame.level or 'unit'} {frame.date}")
    warnings: list[str] = []
    if not title:
        title = f"{(frame.level or 'unit').capitalize()} {levels[-1][1] if levels else ''}".strip()
        warnings.append(f"{frame.tag} at line {frame.line} has no unittitle")
    record = Record(
        title=title,
        title_language=None,
        reference=reference,
        date=frame.date,
        description=tuple(Text(s) for s in frame.scope),
        creators=tuple(frame.origination),
        language=tuple(frame.languages),
        subjects=tuple(frame.subjects),
        places=tuple(frame.places),
        source=Source(id=f"{SOURCE_PREFIX}{aid}#{path}"),
        level=frame.level if frame.level != "otherlevel" else (frame.other or "otherlevel"),
        parent=parent,
        finding_aid=aid,
        extent=tuple(frame.extent),
        scope=tuple(frame.scope),
        access=tuple(frame.access),
        use=tuple(frame.use),
        origination=tuple(frame.origination),
        location=tuple(frame.location),
        daos=tuple(frame.daos),
        iiif_manifests=tuple(frame.manifests),
        pages=tuple(frame.pages),
    )
    problems = record_problems(record, limits)
    if problems:
        raise ReaderError(
            f"{name}: {frame.tag} at line {frame.line}: {'; '.join(problems)}",
            problems=tuple(problems),
        )
    return ReadResult(record, tuple(warnings))


def _error(name: str, elem: Any, message: str) -> ReaderError:
    return ReaderError(f"{name}: <{_local(elem)}> at line {elem.sourceline}: {message}")


def is_document(record: Record) -> bool:
    """Whether a unit is a document (file or item level) rather than a grouping."""
    return (record.level or "") in DOCUMENT_LEVELS
