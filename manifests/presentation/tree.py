"""Where a document or container sits in the IIIF collection tree.

The tree is the archival hierarchy of the keys (``metadata.sets.containers``). A
document is listed in the collection of its *unit*: the innermost container above it.
A document whose key is itself a container (``GAPPOD/f.1/op.89/d.112`` is both the delo
and the letter filed as that delo) is a Manifest item of the container's parent, so
a delo with one document does not become a collection holding a single manifest; a
delo holding several documents (``.../d.112/ll.1-3``, ``.../d.112/doc.X``) is a
collection of their manifests.

Finding aids add their units, images or not: a unit with units filed below it is a
collection, and so its key is a container; a unit without page images whose digital
copy is a IIIF manifest published elsewhere is listed as that manifest, where its own
would be. A unit with neither is a description only, not a IIIF resource: its OAI-PMH
record and its page say what it is (the collection's ``seeAlso`` and ``homepage``).
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
    """One item of a container's collection before its label is looked up.

    ``Linked``: a finding-aid unit whose IIIF manifest is published elsewhere.
    """

    kind: Literal["Collection", "Manifest", "Linked"]
    key: str  # the child container's prefix, or the document's (unit's) key


_ORDER = {"Manifest": 0, "Linked": 1, "Collection": 2}


@dataclass(frozen=True)
class Member:
    """A live record in a container's set, as the tree needs to know it."""

    key: str
    manifest: bool  # it has a stored manifest (page images)
    unit: bool  # it is a finding-aid unit
    linked: bool = False  # it links IIIF manifests published elsewhere


def branches(members: Iterable[Member]) -> set[str]:
    """The finding-aid units with a live record filed below them: each is a collection."""
    listed = list(members)
    units = {m.key for m in listed if m.unit}
    return {
        prefix
        for m in listed
        for prefix in containers(m.key)
        if prefix != m.key and prefix in units
    }


def entries(
    prefix: str,
    member_keys: Iterable[str],
    units: Iterable[str] = (),
    linked: Iterable[str] = (),
) -> list[Entry]:
    """The items of ``prefix``'s collection, in natural order.

    ``member_keys``: every live document with a manifest below it; ``units``: the
    finding-aid units below it with units filed below them (``branches``), each a
    collection; ``linked``: units without page images whose IIIF manifest is elsewhere.
    """
    manifests: set[str] = set()
    links: set[str] = set()
    children: set[str] = set()
    start = prefix + "/"

    def child(container: str) -> str:
        return start + container[len(start) :].split("/", 1)[0]

    for keys, found in ((member_keys, manifests), (linked, links)):
        for key in keys:
            unit = parent_container(key)
            if key == prefix or unit == prefix:
                found.add(key)
            elif unit.startswith(start):
                children.add(child(unit))
    children.update(child(key) for key in units if key.startswith(start))
    listed = (
        [Entry("Manifest", k) for k in manifests]
        + [Entry("Linked", k) for k in links - manifests]
        + [Entry("Collection", c) for c in children]
    )
    # the document filed as a container comes before the collection of its siblings
    return sorted(listed, key=lambda e: (sort_key(e.key), _ORDER[e.kind]))


def part_count(total: int, page_size: int) -> int:
    """How many parts a listing of ``total`` items is split into (1: not split)."""
    return max(1, -(-total // max(1, page_size)))
