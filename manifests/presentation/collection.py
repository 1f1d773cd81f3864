"""Collections for the archival tree: the top (all archives), each container, each part.

IIIF Presentation 3 has no paging for collections, so a container with more items than
the page size is split into *parts*: its collection then lists referenced
sub-collections ``{prefix}/collection/1``, ``/2`` ... (``behavior: multi-part``), each
holding one page of items in the same natural order and pointing back with ``partOf``.
Every id is a plain path (no query string, P3 §6.1), and every collection names its
parent in ``partOf`` so a viewer can walk up from any manifest to the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from iiif_prezi3 import Collection, CollectionRef, ManifestRef

from metadata.references import key_to_set_spec
from metadata.sets import container_info

from . import urls
from .context import PresentationContext
from .exact import ExactUrls
from .language import LanguageMap, en
from .markup import safe_label, safe_value
from .provider import provider
from .tree import display_tail, parent_of_container


@dataclass(frozen=True)
class ManifestItem:
    """A document: its manifest is referenced with the title and a thumbnail."""

    key: str
    label: LanguageMap
    thumbnail: dict[str, Any] | None = None


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


def container_label(prefix: str) -> LanguageMap:
    """The container's name, from its key, which any text may have reached (``markup``)."""
    return safe_label(en(container_info(prefix).name))


def part_label(item: PartItem) -> LanguageMap:
    name = container_info(item.prefix).name
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
        fields["label"] = part_label(page.part_of_parts)
    else:
        fields["label"] = container_label(prefix)
        info = container_info(prefix)
        if info.description:
            fields["summary"] = safe_value(en(info.description))
    if prefix is not None:
        fields["partOf"] = [_parent_ref(ctx, exact, prefix, page.part)]
        fields["seeAlso"] = _set_links(ctx, exact, prefix)
    if any(isinstance(item, PartItem) for item in page.items):
        fields["behavior"] = ["multi-part"]
    fields["provider"] = [provider(ctx, exact)]
    fields["items"] = [_item(ctx, exact, item) for item in page.items]
    return exact.dump(Collection(**fields))


def _item(ctx: PresentationContext, exact: ExactUrls, item: Item) -> Any:
    if isinstance(item, ManifestItem):
        extra: dict[str, Any] = {}
        if item.thumbnail is not None:
            extra["thumbnail"] = [exact.register(item.thumbnail)]
        return ManifestRef(
            id=exact(urls.manifest(ctx.base, item.key)),
            type="Manifest",
            label=safe_label(item.label),
            **extra,
        )
    if isinstance(item, ContainerItem):
        return CollectionRef(
            id=exact(urls.collection(ctx.base, item.prefix)),
            type="Collection",
            label=container_label(item.prefix),
        )
    return CollectionRef(
        id=exact(urls.collection(ctx.base, item.prefix, item.part)),
        type="Collection",
        label=part_label(item),
    )


def _parent_ref(
    ctx: PresentationContext, exact: ExactUrls, prefix: str, part: int | None
) -> dict[str, Any]:
    if part is not None:
        return {
            "id": exact(urls.collection(ctx.base, prefix)),
            "type": "Collection",
            "label": container_label(prefix),
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
        "label": container_label(parent),
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
