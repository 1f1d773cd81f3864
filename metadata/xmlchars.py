"""Characters XML 1.0 cannot carry, and how to drop them.

A single C0 control or lone surrogate in one title makes lxml refuse the string (or
the page fail to encode), which would break a whole OAI-PMH harvest page. Every string
a crosswalk writes therefore passes through :func:`clean` first.

XML 1.0 ``Char`` is ``#x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
[#x10000-#x10FFFF]``; everything else is removed. C1 controls (U+0080-U+009F) are
allowed by XML 1.0 and are kept.
"""

from __future__ import annotations

import re

# The complement of XML 1.0 Char, precompiled once: clean text costs one regex scan.
FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def is_clean(text: str) -> bool:
    """True when ``text`` contains only characters XML 1.0 allows."""
    # Every forbidden character is a control, a surrogate or a noncharacter, none of
    # which is printable: isprintable() answers most strings faster than the regex.
    return text.isprintable() or FORBIDDEN.search(text) is None


def clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (returned as-is when clean)."""
    if text.isprintable() or FORBIDDEN.search(text) is None:
        return text
    return FORBIDDEN.sub("", text)


_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# What an attribute value escapes (shared with the crosswalks' writer, crosswalks/_xml.py).
ATTRIBUTE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)


# A printable string has no forbidden character, tab or newline: nothing to drop, and
# only & < > (and " in attributes) to escape. That is almost every value, and the check
# is one C loop rather than a translation character by character.


def escape_text(value: str) -> str:
    """``value`` cleaned and escaped for XML character data."""
    if value.isprintable():
        if "&" in value or "<" in value or ">" in value:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return value
    return clean(value).translate(_TEXT)


def escape_attr(value: str) -> str:
    """``value`` cleaned and escaped for a double-quoted XML attribute (whitespace kept)."""
    if value.isprintable():
        if "&" in value or "<" in value or ">" in value or '"' in value:
            value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return value.replace('"', "&quot;")
        return value
    return clean(value).translate(ATTRIBUTE)
