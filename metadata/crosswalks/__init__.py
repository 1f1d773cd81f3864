"""Crosswalks: the record rendered into each OAI-PMH metadata format.

Each format is a pure function ``(Record, Context) -> bytes`` giving the element that goes
inside OAI-PMH ``<metadata>``: UTF-8, no XML declaration, its own namespace declarations
and ``xsi:schemaLocation``, deterministic. The repository layer lists ``FORMATS`` in
ListMetadataFormats (in this order) and re-renders stored records, bumping their
datestamps, whenever ``VERSION`` changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from metadata.record import Record

from . import marc21, mods, oai_dc
from .context import Context

__all__ = ["FORMATS", "VERSION", "Context", "Format"]

# Change whenever any crosswalk's output changes: harvesters only re-fetch records whose
# datestamps move (OAI-PMH guidelines; conformance check E6). tests/test_crosswalks.py
# pins a fingerprint of the output to this value so a change cannot slip through.
VERSION = "1"


@dataclass(frozen=True)
class Format:
    """One metadata format as ListMetadataFormats announces it, and its renderer."""

    prefix: str  # "oai_dc"
    namespace: str  # metadataNamespace for ListMetadataFormats
    schema: str  # schema URL for ListMetadataFormats and xsi:schemaLocation
    render: Callable[[Record, Context], bytes]  # the <metadata> child, UTF-8, no declaration


FORMATS: dict[str, Format] = {
    module.PREFIX: Format(module.PREFIX, module.NAMESPACE, module.SCHEMA, module.render)
    for module in (oai_dc, marc21, mods)
}
