"""Where a document or container sits in the IIIF collection tree.

The tree is the archival hierarchy of the keys (``metadata.sets.containers``). A
document is listed in the collection of its *unit*: the innermost container above it.
A document whose key is itself a container (``GAPPOD/f.1/op.89/d.112`` is both the delo
and the letter filed as that delo) is a Manifest item of the container's parent, so
a delo with one document does not become a collection holding a single manifest; a
delo holding several documents (``.../d.112/ll.1-3``, ``.../d.112/doc.X``) is a
collection of their manifests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from metadata.sets import containers

_RUN = re.compile(r"(\d+)")


def parent_container(key: str) -> str:
    """The container whose collection lists the manifest of the document ``key``."""
    chain = containers(key)
    if len(chain) > 1 and chain[-1] == key:
        return chain[-2]
    return chain[-1]


def parent_of_container(prefix: str) -> str | None:
    """The container above a container; None for an archive (it hangs off the top)."""
    head, slash, _ = prefix.rpartition("/")
    return head if slash else None


def sort_key(key: str) -> tuple[tuple[tuple[int, int, str], ...], ...]:
    """Natural order of keys, segment by segment: ``d.2`` before ``d.10``."""
    return tuple(
        tuple((0, int(run), "") if run.isdigit() else (1, 0, run.casefold()) for run in runs)
        for runs in (_RUN.split(unquote(segment)) for segment in key.split("/"))
    )


def display_tail(key: str) -> str:
    """The last segment of a key as a person reads it (``cty.É-Korea``)."""
    return unquote(key.rsplit("/", 1)[-1])


@dataclass(frozen=True)
class Entry:
    """One item of a container's collection before its label is looked up."""

    kind: Literal["Collection", "Manifest"]
    key: str  # the child container's prefix, or the document's key


def entries(prefix: str, member_keys: Iterable[str]) -> list[Entry]:
    """The items of ``prefix``'s collection from the keys of every live document below it."""
    manifests: set[str] = set()
    children: set[str] = set()
    start = prefix + "/"
    for key in member_keys:
        unit = parent_container(key)
        if key == prefix or unit == prefix:
            manifests.add(key)
        elif unit.startswith(start):
            children.add(start + unit[len(start) :].split("/", 1)[0])
    found = [Entry("Manifest", k) for k in manifests] + [Entry("Collection", c) for c in children]
    # the document filed as a container comes before the collection of its siblings
    return sorted(found, key=lambda e: (sort_key(e.key), e.kind != "Manifest"))


def part_count(total: int, page_size: int) -> int:
    """How many parts a listing of ``total`` items is split into (1: not split)."""
    return max(1, -(-total // max(1, page_size)))
