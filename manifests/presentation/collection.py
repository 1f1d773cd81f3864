"""Collections for the archival tree: the top (all archives), each container, each part.

IIIF Presentation 3 has no paging for collections, so a container with more items than
the page size is split into *parts*: its collection then lists referenced
sub-collections ``{prefix}/collection/1``, ``/2`` ... (``behavior: multi-part``), each
holding one page of items in the same natural order and pointing back with ``partOf``.
Every id is a plain path (no query string, P3 §6.1), and every collection names its
parent in ``partOf`` so a viewer can walk up from any manifest to the top.

A finding-aid unit's collection takes the unit's name and description (``units``: the
set the unit names, metadata/sets.py) and links the unit's page (``homepage``). Its
items may be none when no unit below it has page images or a IIIF manifest: P3 §3.4
asks a Collection for the ``items`` property, and at least one item only of a Manifest,
so the unit is still a collection in the finding aid's tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iiif_prezi3 import Collection, CollectionRef, ManifestRef

from metadata.references import key_to_set_spec
from metadata.sets import SetInfo, container_info

from . import urls
from .context import PresentationContext
from .exact import ExactUrls
from .language import LanguageMap, en
from .markup import safe_label, safe_value
from .provider import provider
from .tree import display_tail, parent_of_container


@dataclass(frozen=True)
class ManifestItem:
    """A document: its manifest is referenced with the title and a thumbnail.

    ``url``: a manifest published elsewhere (a finding-aid unit's IIIF link), else its own.
    """

    key: str
    label: LanguageMap
    thumbnail: dict[str, Any] | None = None
    url: str | None = None


@dataclass(frozen=True)
class ContainerItem:
    """A child container (fond, opis, delo ...): its collection is referenced."""

    prefix: str


@dataclass(frozen=True)
class PartItem:
    """One part of a container too large for one collection document."""

    prefix: str
    part: int
    first: str  # key of the part's first item
    last: str  # key of its last item
    start: int  # 1-based position of the first item in the whole listing
    count: int


Item = ManifestItem | ContainerItem | PartItem


@dataclass(frozen=True)
class CollectionPage:
    """Which collection document to build: top (prefix None), a container, or one part."""

    prefix: str | None
    items: Sequence[Item]
    part: int | None = None
    part_of_parts: PartItem | None = None  # the part being built, for its label
    # The finding-aid units among the containers named here (this one, its parent, its
    # items), by key: the set each names, in place of the name from its key.
    units: Mapping[str, SetInfo] = field(default_factory=dict)

    def info(self, prefix: str) -> SetInfo:
        return self.units.get(prefix) or container_info(prefix)


def container_label(prefix: str, info: SetInfo | None = None) -> LanguageMap:
    """The container's name (from its key, or its unit's ``info``), which any text may
    have reached (``markup``)."""
    return safe_label(en((info or container_info(prefix)).name))


def part_label(item: PartItem, info: SetInfo | None = None) -> LanguageMap:
    name = (info or container_info(item.prefix)).name
    end = item.start + item.count - 1
    span = f"{display_tail(item.first)} … {display_tail(item.last)}"
    return safe_label(en(f"{name}, items {item.start}–{end} ({span})"))


def build_collection(ctx: PresentationContext, page: CollectionPage) -> dict[str, Any]:
    """The Collection document as JSON data (``@context`` first), ids exactly as served."""
    exact = ExactUrls()
    prefix = page.prefix
    own_id = exact(urls.collection(ctx.base, prefix, page.part))
    fields: dict[str, Any] = {"id": own_id}
    if prefix is None:
        fields["label"] = safe_label(en(ctx.repository_name))
        fields["summary"] = en("Every archive in this repository, with its fonds, opisi and files.")
    elif page.part_of_parts is not None:
        fields["label"] = part_label(page.part_of_parts, page.units.get(prefix))
    else:
        info = page.info(prefix)
        fields["label"] = container_label(prefix, info)
        if info.description:
            fields["summary"] = safe_value(en(info.description))
    if prefix is not None:
        fields["partOf"] = [_parent_ref(ctx, exact, page, prefix)]
        fields["seeAlso"] = _set_links(ctx, exact, prefix)
        if prefix in page.units:
            fields["homepage"] = [_unit_page(ctx, exact, prefix, page.info(prefix))]
    if any(isinstance(item, PartItem) for item in page.items):
        fields["behavior"] = ["multi-part"]
    fields["provider"] = [provider(ctx, exact)]
    fields["items"] = [_item(ctx, exact, page, item) for item in page.items]
    return exact.dump(Collection(**fields))


def _item(ctx: PresentationContext, exact: ExactUrls, page: CollectionPage, item: Item) -> Any:
    if isinstance(item, ManifestItem):
        extra: dict[str, Any] = {}
        if item.thumbnail is not None:
            extra["thumbnail"] = [exact.register(item.thumbnail)]
        return ManifestRef(
            id=exact(item.url or urls.manifest(ctx.base, item.key)),
            type="Manifest",
            label=safe_label(item.label),
            **extra,
        )
    if isinstance(item, ContainerItem):
        return CollectionRef(
            id=exact(urls.collection(ctx.base, item.prefix)),
            type="Collection",
            label=container_label(item.prefix, page.units.get(item.prefix)),
        )
    return CollectionRef(
        id=exact(urls.collection(ctx.base, item.prefix, item.part)),
        type="Collection",
        label=part_label(item, page.units.get(item.prefix)),
    )


def _unit_page(
    ctx: PresentationContext, exact: ExactUrls, prefix: str, info: SetInfo
) -> dict[str, Any]:
    """The page of the unit the collection is: its whole description, every unit in it."""
    return {
        "id": exact(urls.record_page(ctx.base, prefix)),
        "type": "Text",
        "label": container_label(prefix, info),
        "format": "text/html",
    }


def _parent_ref(
    ctx: PresentationContext, exact: ExactUrls, page: CollectionPage, prefix: str
) -> dict[str, Any]:
    if page.part is not None:
        return {
            "id": exact(urls.collection(ctx.base, prefix)),
            "type": "Collection",
            "label": container_label(prefix, page.units.get(prefix)),
        }
    parent = parent_of_container(prefix)
    if parent is None:
        return {
            "id": exact(urls.collection(ctx.base)),
            "type": "Collection",
            "label": safe_label(en(ctx.repository_name)),
        }
    return {
        "id": exact(urls.collection(ctx.base, parent)),
        "type": "Collection",
        "label": container_label(parent, page.units.get(parent)),
    }


def _set_links(ctx: PresentationContext, exact: ExactUrls, prefix: str) -> list[dict[str, Any]]:
    """The container as an OAI-PMH set: its records in each metadata format."""
    spec = key_to_set_spec(prefix)
    return [
        {
            "id": exact(f"{ctx.base}/oai?verb=ListRecords&metadataPrefix={fmt}&set={spec}"),
            "type": "Dataset",
            "label": en(f"OAI-PMH records of this set ({fmt})"),
            "format": "text/xml",
            "profile": schema,
        }
        for fmt, schema in ctx.oai_formats
    ]
