"""The set tree: archive > fond > opis > ... from the key, and named collections.

The same tree gives OAI-PMH sets (``GAPPOD:f.1:op.89``) and IIIF collections
(``/iiif/3/GAPPOD/f.1/op.89/collection``). A parent set holds every descendant.

A set is named from its key (``GAPPOD, Fond 1``), except the set of a finding-aid unit's
own key: the unit says best what it is, so that set takes the unit's reference and title
and a description from its level, dates, extent and scope (``unit_info``), and keeps up
with the unit when it is retitled.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from metadata.identity import UNCITED
from metadata.record import Record, Reference
from metadata.references import archive_name, key_to_set_spec, level_label, parse_key
from metadata.references.keys import parse_key_below
from metadata.references.registry import Registry, installed

COLLECTIONS = "collection"
_DOCUMENT_SEGMENTS = ("l.", "ll.", "doc.")


_SUMMARY_CHARS = 600
# Steps of a unit's key the EAD reader made up where the unit had no unitid
_MADE_UP = re.compile(r"id:.*|n\d+")


@dataclass(frozen=True)
class SetInfo:
    spec: str
    name: str
    description: str = ""
    # Named by the unit whose key the set is: this name replaces the set's name from the
    # key (and an older name the unit had), where the other names only fill a gap.
    named: bool = False


def containers(key: str) -> list[str]:
    """Every container above the document: ``A``, ``A/f.1``, ... up to the unit itself."""
    archive, *segments = key.split("/")
    out = [archive]
    for segment in segments:
        if segment.startswith(_DOCUMENT_SEGMENTS):
            break
        out.append(f"{out[-1]}/{segment}")
    return out


def collection_spec(name: str) -> str:
    slug = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-") or "unnamed"
    return f"{COLLECTIONS}:{slug[:80]}"


def container_info(prefix: str) -> SetInfo:
    """The set for one container key prefix, with a name a person can read.

    Kept with the prefix (``_Prefix``), for the registry that gave its names.
    """
    kept = _prefix(prefix)
    registry = installed()
    named = kept.named
    if named is None or named[0] is not registry:
        named = kept.named = (registry, _name(prefix, kept.spec, kept.ref))
    return named[1]


def _name(prefix: str, spec: str, ref: Reference | None) -> SetInfo:
    if prefix == UNCITED:
        return SetInfo(
            spec,
            "Documents without an archival citation",
            "Documents whose source gives no archival reference; keyed by their source record.",
        )
    if ref is None:
        return SetInfo(spec, prefix)
    code = ref.archive or prefix
    full = archive_name(code)
    if not ref.levels:
        return SetInfo(spec, f"{code}: {full}" if full else code, f"Archive {full or code}.")
    path = ", ".join(f"{level_label(name)} {value}" for name, value in ref.levels)
    where = f"{full} ({code})" if full else code
    return SetInfo(spec, f"{code}, {path}", f"{path} of the {where}.")


@dataclass(slots=True)
class _Prefix:
    """A container prefix read: its setSpec, its parse (None when it is no key), and
    its set once named (with the registry that named it)."""

    spec: str
    ref: Reference | None
    named: tuple[Registry | None, SetInfo] | None = None


_PREFIXES: dict[str, _Prefix] = {}
_KEPT = 4096


def _prefix(prefix: str) -> _Prefix:
    """A container prefix, read once: records share their containers and every record
    asks for all of them (archive, fond, opis ...), top down, so a prefix's parent is
    usually kept and only its last segment needs reading. ValueError when the prefix
    has no setSpec.
    """
    found = _PREFIXES.get(prefix)
    if found is None:
        spec = key_to_set_spec(prefix)
        parent, slash, _ = prefix.rpartition("/")
        above = _PREFIXES.get(parent) if slash else None
        ref: Reference | None
        try:
            if above is None:
                ref = parse_key(prefix)
            else:  # a key below one that is no key is none either
                ref = parse_key_below(above.ref, prefix) if above.ref else None
        except ValueError:
            ref = None
        if len(_PREFIXES) >= _KEPT:
            _PREFIXES.clear()
        found = _PREFIXES[prefix] = _Prefix(spec, ref)
    return found


def unit_info(record: Record, key: str) -> SetInfo:
    """The set of a finding-aid unit's own key, named and described by the unit."""
    spec = _prefix(key).spec
    reference = shown_reference(record)
    title = record.title
    said = reference is None or re.match(rf"{re.escape(reference)}(\W|$)", title)
    name = title if said else f"{reference} {title}"
    level = (record.level or "unit").replace("_", " ")
    code = record.reference.archive if record.reference else None
    full = archive_name(code) if code else None
    where = f" of the {full} ({code})" if full else (f" of archive {code}" if code else "")
    dated = f", {record.date}." if record.date else "."
    parts = [f"{level[:1].upper()}{level[1:]}{where}{dated}"]
    extent = [e.strip(" ;,.") for e in record.extent if e.strip(" ;,.")]
    if extent:
        parts.append(f"Extent: {'; '.join(extent)}.")
    if record.scope:
        parts.append(_shortened(record.scope[0]))
    return SetInfo(spec, name, " ".join(parts), named=True)


def shown_reference(record: Record) -> str | None:
    """The unit's own reference as a person cites it (its ``unitid``): None when the key
    step was made up (``id:``, ``n3``, containers) or is a system's path or URI."""
    if record.reference is None or not record.reference.levels:
        return None
    value = record.reference.levels[-1][1].strip()
    boxes = "-".join(re.sub(r"\s+", "", place) for place in record.location)
    if not value or _MADE_UP.fullmatch(value) or value == boxes:
        return None
    if value.startswith("/") or "://" in value:
        return None
    return value


def _shortened(text: str) -> str:
    if len(text) <= _SUMMARY_CHARS:
        return text
    cut = text[:_SUMMARY_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:")
    return f"{cut} …"


def set_infos(record: Record, key: str) -> list[SetInfo]:
    """Every set the record belongs to, ancestors included; a finding-aid unit names
    the set of its own key (``unit_info``)."""
    prefixes = containers(key)
    out = [container_info(prefix) for prefix in prefixes]
    if record.level and prefixes[-1] == key:
        out[-1] = unit_info(record, key)
    if record.collections:
        out.append(SetInfo(COLLECTIONS, "Named collections", "Documents grouped by theme."))
        for name in record.collections:
            out.append(SetInfo(collection_spec(name), name, f"The collection “{name}”."))
    return out
