"""The set tree: archive > fond > opis > ... from the key, and named collections.

The same tree gives OAI-PMH sets (``GAPPOD:f.1:op.89``) and IIIF collections
(``/iiif/3/GAPPOD/f.1/op.89/collection``). A parent set holds every descendant.
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


@dataclass(frozen=True)
class SetInfo:
    spec: str
    name: str
    description: str = ""


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


def set_infos(record: Record, key: str) -> list[SetInfo]:
    """Every set the record belongs to, ancestors included."""
    out = [container_info(prefix) for prefix in containers(key)]
    if record.collections:
        out.append(SetInfo(COLLECTIONS, "Named collections", "Documents grouped by theme."))
        for name in record.collections:
            out.append(SetInfo(collection_spec(name), name, f"The collection “{name}”."))
    return out
