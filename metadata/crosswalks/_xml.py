"""XML text shared by the crosswalks: values cleaned and escaped on the way out.

The crosswalks write their payloads as strings: ingest renders all six formats for every
record, and building lxml trees and serialising them cost two thirds of preparing one.
Every value goes through :func:`escape` (character data) or :func:`quote` (attribute
values). Both drop the characters XML 1.0 forbids, so one bad character in a record can
never make a payload unserialisable, and both escape exactly what libxml2's serialiser
escapes, so the bytes are the ones ``etree.tostring(..., encoding="utf-8")`` gave
(tests/metadata/test_xml_text.py holds the two to each other).
"""

from __future__ import annotations

import re
from functools import lru_cache

from metadata import languages
from metadata.xmlchars import clean, escape_attr

XSI = "http://www.w3.org/2001/XMLSchema-instance"

Values = list[str | None] | tuple[str | None, ...] | list[str] | tuple[str, ...]

# xs:language (what xml:lang accepts), and a BCP 47 primary subtag of 2-3 letters.
_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")

# What libxml2 escapes: in text & < > and CR; in attributes also " and the other two
# whitespace characters (an attribute value's tab or newline would be normalised away).
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def escape(value: str) -> str:
    """``value`` as XML character data: forbidden characters dropped, markup escaped."""
    # A printable string has no control character, surrogate or noncharacter: nothing to
    # drop and no CR. That is almost every value, and the check is one C loop.
    if value.isprintable():
        if "&" in value or "<" in value or ">" in value:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return value
    return clean(value).translate(_TEXT)


# ``value`` for a double-quoted attribute: forbidden characters dropped, escaped.
quote = escape_attr


def element(tag: str, value: str | None, attributes: str = "") -> str:
    """``<tag attributes>value</tag>``; ``<tag attributes/>`` when ``value`` is None.

    ``attributes`` is written as given (`` name="quoted"``, see :func:`attribute`).
    An empty string still gives a start and an end tag, as lxml writes ``text = ""``.
    """
    if value is None:
        return f"<{tag}{attributes}/>"
    return f"<{tag}{attributes}>{escape(value)}</{tag}>"


def wrap(tag: str, content: str, attributes: str = "") -> str:
    """An element around already written ``content`` (children); empty: ``<tag/>``."""
    if not content:
        return f"<{tag}{attributes}/>"
    return f"<{tag}{attributes}>{content}</{tag}>"


def attribute(name: str, value: str | None) -> str:
    """`` name="value"`` quoted, or "" when ``value`` is None (the attribute is left out)."""
    return "" if value is None else f' {name}="{quote(value)}"'


def open_root(tag: str, namespaces: str, namespace: str, schema: str, attributes: str = "") -> str:
    """A payload root's start tag: its own namespaces, then ``xsi:schemaLocation``.

    ``namespaces`` are the declarations before ``xmlns:xsi`` (`` xmlns="..."``), written
    as lxml writes them; ``attributes`` follow the schema location. Self-contained roots
    can be pasted into any OAI-PMH response.
    """
    location = quote(f"{namespace} {schema}")
    return f'<{tag}{namespaces} xmlns:xsi="{XSI}" xsi:schemaLocation="{location}"{attributes}>'


def text(value: str | None) -> str:
    """``value`` cleaned of forbidden characters and outer whitespace ("" for None)."""
    if not value:
        return ""
    # printable: nothing to clean
    return value.strip() if value.isprintable() else clean(value).strip()


def escaped(value: str | None) -> str:
    """``escape(text(value))`` in one call: the value cleaned, stripped and escaped, ""
    when nothing is left. Most values are written this way, some hundred per record."""
    if not value:
        return ""
    if value.isprintable():
        value = value.strip()
        if "&" in value or "<" in value or ">" in value:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return value
    # cleaned, the value is clean: escape's own clean() would change nothing
    return clean(value).strip().translate(_TEXT)


def elements(tag: str, values: Values, attributes: str = "") -> str:
    """``<tag attributes>value</tag>`` for each of ``unique(values)``, escaped; "" for none.

    A repeated field in one call, where a call per value was most of what writing it
    cost.
    """
    if not values:  # most repeatable fields of most records are empty
        return ""
    return enclosed(values, f"<{tag}{attributes}>", f"</{tag}>")


def enclosed(values: Values, start: str, end: str) -> str:
    """Each of ``unique(values)``, escaped, between ``start`` and ``end``; "" for none.

    Escaping keeps values apart, so repeats are dropped after it.
    """
    if not values:
        return ""
    seen: dict[str, None] = {}
    for value in values:
        if value:
            if value.isprintable():
                value = value.strip()
                if "&" in value or "<" in value or ">" in value:
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            else:
                value = clean(value).strip().translate(_TEXT)
            if value:
                seen[value] = None
    if len(seen) > 1:
        return f"{start}{(end + start).join(seen)}{end}"
    for value in seen:  # the one value: one string built, not four
        return f"{start}{value}{end}"
    return ""


def unique(values: Values) -> list[str]:
    """Cleaned, non-empty values in first-seen order (repeats dropped)."""
    if not values:  # most repeatable fields of most records are empty
        return []
    seen: dict[str, None] = {}
    for value in values:
        if value:
            cleaned = value.strip() if value.isprintable() else clean(value).strip()
            if cleaned:
                seen[cleaned] = None
    return list(seen)


@lru_cache(maxsize=1024)
def xml_lang(value: str | None) -> str | None:
    """A valid ``xml:lang`` for a record's language value, or None.

    Keeps a well-formed BCP 47 tag (``ru-Latn``); maps names and ISO 639-2 codes to
    ISO 639-1 (``Russian``/``rus`` -> ``ru``); drops what is neither. Cached: records
    repeat a handful of language values, and the answer depends on the value alone.
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


@lru_cache(maxsize=1024)
def lang(value: str | None) -> str:
    """`` xml:lang="..."`` for a record's language value, or "" (see :func:`xml_lang`).

    Cached as ``xml_lang`` is: some fifty elements per record ask.
    """
    found = xml_lang(value)
    return "" if found is None else f' xml:lang="{quote(found)}"'
