"""Page text files (ALTO, PAGE XML) read for a stored page image, with the shipped schemas.

The schemas are the XSDs in ``metadata/pagetext/xsd`` (copied unchanged; origins in
``tests/schemas/README.md``), compiled once per process with a parser that never uses
the network: ALTO's remote ``xlink.xsd`` import is answered with the local copy.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from lxml import etree

from metadata import untrusted_xml
from metadata.pagetext import PageText, PageTextError, Schemas, read_page_text

__all__ = [
    "PageText",
    "PageTextError",
    "page_text_for",
    "read_file",
    "schemas",
]

_FILES = {
    "alto3": "alto/alto-3-1.xsd",
    "alto4": "alto/alto-4-4.xsd",
    "page2013": "page-2013-07-15/pagecontent.xsd",
    "page2019": "page-2019-07-15/pagecontent.xsd",
}


def _xsd_dir() -> Path:
    return Path(str(resources.files("metadata.pagetext"))) / "xsd"


class _LocalOnly(etree.Resolver):
    """Answers the XLink schema import locally; refuses every other outside fetch."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def resolve(  # type: ignore[override]
        self, system_url: str, public_id: str, context: object
    ) -> object:
        if system_url.endswith("/xlink.xsd") or system_url == "xlink.xsd":
            local = str(self.folder / "alto" / "xlink.xsd")
            return self.resolve_filename(local, context)  # type: ignore[attr-defined]
        if system_url.startswith(("http:", "https:", "ftp:")):
            raise PageTextError(f"schema import {system_url} refused: no network")
        return None


@cache
def schemas() -> Schemas:
    folder = _xsd_dir()
    out: dict[str, etree.XMLSchema] = {}
    for key, rel in _FILES.items():
        parser = untrusted_xml.parser()
        parser.resolvers.add(_LocalOnly(folder))
        doc = etree.parse(str(folder / rel), parser)
        out[key] = etree.XMLSchema(doc)
    return out


def page_text_for(data: bytes, name: str, *, image_name: str, width: int, height: int) -> PageText:
    """Read ``name`` (ALTO or PAGE) for the stored image; ``PageTextError`` names the file."""
    return read_page_text(
        data, name, image_name=image_name, width=width, height=height, schemas=schemas()
    )


def read_file(path: Path, *, image_name: str, width: int, height: int) -> PageText:
    """Read the page text file at ``path`` for its stored image: what ingest runs in a
    process of its own (``PageTextError`` names the file)."""
    return page_text_for(
        path.read_bytes(), path.name, image_name=image_name, width=width, height=height
    )
