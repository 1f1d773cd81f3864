"""Reading XML that came from outside (uploads, harvested responses, finding aids, page
text, schemas on disk): lxml never fetches anything, expands an entity, loads a DTD or
lifts its limits on depth and size. One place, so no reader forgets one of them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from lxml import etree


def parser(*, strip: bool = False) -> etree.XMLParser:
    """``strip``: drop comments and processing instructions (readers that want content)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=strip,
        remove_pis=strip,
    )


def iterparse(source: IO[bytes], events: Sequence[str]) -> Any:
    """Streaming, with the same guards; comments and processing instructions dropped."""
    return etree.iterparse(
        source,
        events=tuple(events),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
