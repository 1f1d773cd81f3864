"""Element building shared by the crosswalks: every string is cleaned on the way in.

Routing all text and attribute values through these helpers is what guarantees that
one forbidden character in a record can never make a payload unserialisable.
"""

from __future__ import annotations

import re

from lxml import etree

from metadata import languages
from metadata.xmlchars import clean

XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

Element = etree._Element

# xs:language (what xml:lang accepts), and a BCP 47 primary subtag of 2-3 letters.
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def text(value: str | None) -> str:
    """``value`` cleaned of forbidden characters and outer whitespace ("" for None)."""
    return clean(value).strip() if value else ""


def unique(values: list[str | None] | tuple[str | None, ...]) -> list[str]:
    """Cleaned, non-empty values in first-seen order (repeats dropped)."""
    seen: dict[str, None] = {}
    for value in values:
        cleaned = text(value)
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


def root(tag: str, nsmap: dict[str | None, str], namespace: str, schema: str) -> Element:
    """A payload root that declares its own namespaces and ``xsi:schemaLocation``.

    Self-contained roots can be pasted into any OAI-PMH response as they are.
    """
    # lxml takes a None key for the default namespace; lxml-stubs types nsmap as str -> str.
    element = etree.Element(tag, nsmap={**nsmap, "xsi": XSI})  # type: ignore[dict-item]
    element.set(f"{{{XSI}}}schemaLocation", f"{namespace} {schema}")
    return element


def add(parent: Element, tag: str, value: str | None = None, /, **attrib: str | None) -> Element:
    """Append ``tag`` with cleaned text; attributes whose value is None are left out.

    Values are cleaned but not stripped (fixed fields such as the MARC leader keep their
    spaces); strip record values with :func:`text` first. Attributes keep the order
    given, so output is deterministic.
    """
    attributes = {name: clean(attr) for name, attr in attrib.items() if attr is not None}
    child = _SubElement(parent, tag, attributes or None)
    if value is not None:
        child.text = clean(value)
    return child


_SubElement = etree.SubElement


def xml_lang(value: str | None) -> str | None:
    """A valid ``xml:lang`` for a record's language value, or None.

    Keeps a well-formed BCP 47 tag (``ru-Latn``); maps names and ISO 639-2 codes to
    ISO 639-1 (``Russian``/``rus`` -> ``ru``); drops what is neither.
    """
    cleaned = text(value)
    if not cleaned:
        return None
    alpha2 = languages.from_any(cleaned)
    if alpha2 and "-" not in cleaned:
        return alpha2
    if _TAG.fullmatch(cleaned):
        return cleaned
    return alpha2


def serialize(element: Element) -> bytes:
    """Compact UTF-8 bytes without an XML declaration (raw UTF-8, no character references)."""
    return etree.tostring(element, encoding="utf-8", xml_declaration=False)
