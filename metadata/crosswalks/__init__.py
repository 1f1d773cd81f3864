"""Crosswalks: the record rendered into each OAI-PMH metadata format.

Each format is a pure function ``(Record, CrosswalkContext) -> bytes`` giving the element that goes
inside OAI-PMH ``<metadata>``: UTF-8, no XML declaration, its own namespace declarations
and ``xsi:schemaLocation``, deterministic. The repository layer lists ``FORMATS`` in
ListMetadataFormats (in this order) and re-renders stored records, bumping their
datestamps, whenever ``VERSION`` changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from metadata.record import Record

from . import edm, marc21, mods, oai_dc, oai_dcterms, oai_ead
from .context import CrosswalkContext

__all__ = ["FORMATS", "VERSION", "CrosswalkContext", "Format"]

# Change whenever any crosswalk's output changes: harvesters only re-fetch records whose
# datestamps move (OAI-PMH guidelines; conformance check E6). tests/metadata/test_crosswalks.py
# pins a fingerprint of the output to this value so a change cannot slip through.
VERSION = "2"


@dataclass(frozen=True)
class Format:
    """One metadata format as ListMetadataFormats announces it, and its crosswalk."""

    prefix: str  # "oai_dc"
    namespace: str  # metadataNamespace for ListMetadataFormats
    # schema URL for ListMetadataFormats and xsi:schemaLocation; a path ("/schemas/...")
    # is a schema this server serves, made absolute with the public URL
    schema: str
    # the <metadata> child, UTF-8, no XML declaration
    crosswalk: Callable[[Record, CrosswalkContext], bytes]


FORMATS: dict[str, Format] = {
    module.PREFIX: Format(module.PREFIX, module.NAMESPACE, module.SCHEMA, module.crosswalk)
    for module in (oai_dc, marc21, mods, oai_ead, edm, oai_dcterms)
}
