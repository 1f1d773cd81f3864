"""Page text: the OCR or HTR of one page image, read from ALTO (v1-v4) or PAGE XML.

A page's text is its lines in reading order, each with its box and, when the file has
them, its words with their boxes. Boxes are in the pixels of the *stored* image: a file
made on another size (ALTO ``MeasurementUnit`` mm10/inch1200, or another scan size;
PAGE ``imageWidth``/``imageHeight``) is scaled to it.

Pure: the caller gives the bytes and the compiled schemas (``Schemas``); nothing here
opens a file. ``repository.records.pagetext`` loads the schemas shipped in ``xsd/``.
"""

from __future__ import annotations

from .model import Line, PageText, Word
from .read import PageTextError, Schemas, read_page_text

__all__ = [
    "Line",
    "PageText",
    "PageTextError",
    "Schemas",
    "Word",
    "read_page_text",
]
