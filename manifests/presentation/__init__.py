"""IIIF Presentation 3.0, pure: manifests and collections built from records.

The repository layer renders a record's manifest once, when the record is written
(``build_manifest``), and assembles collections per request from the archival tree
(``build_collection``). Nothing here opens a file, a socket or a database.
"""

from .collection import CollectionPage, ContainerItem, ManifestItem, PartItem, build_collection
from .context import PresentationContext
from .describe import label as document_label
from .images import info_document
from .manifest import VERSION, build_manifest, manifest_thumbnail
from .tree import entries, parent_container, part_count, sort_key

__all__ = [
    "VERSION",
    "CollectionPage",
    "ContainerItem",
    "ManifestItem",
    "PartItem",
    "PresentationContext",
    "build_collection",
    "build_manifest",
    "document_label",
    "entries",
    "info_document",
    "manifest_thumbnail",
    "parent_container",
    "part_count",
    "sort_key",
]
