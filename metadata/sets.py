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
from functools import lru_cache

from metadata.identity import UNCITED
from metadata.record import Record, Reference
from metadata.references import archive_name, key_to_set_spec, level_label, parse_key

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
    segments = key.split("/")
    out: list[str] = []
    for i, segment in enumerate(segments):
        if i and segment.startswith(_DOCUMENT_SEGMENTS):
            break
        out.append("/".join(segments[: i + 1]))
    return out


def collection_spec(name: str) -> str:
    slug = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", slug).strip("-") or "unnamed"
    return f"{COLLECTIONS}:{slug[:80]}"


def container_info(prefix: str) -> SetInfo:
    """The set for one container key prefix, with a name a person can read."""
    spec, ref = _read_prefix(prefix)
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


@lru_cache(maxsize=4096)
def _read_prefix(prefix: str) -> tuple[str, Reference | None]:
    """The setSpec of a container prefix and its parse (None when it is no key).

    Cached: records share their containers and every record asks for all of them
    (archive, fond, opis ...); ValueError when the prefix has no setSpec.
    """
    spec = key_to_set_spec(prefix)
    try:
        return spec, parse_key(prefix)
    except ValueError:
        return spec, None


def unit_info(record: Record, key: str) -> SetInfo:
    """The set of a finding-aid unit's own key, named and described by the unit."""
    spec = _read_prefix(key)[0]
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
