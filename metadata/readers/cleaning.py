"""String hygiene shared by the readers: NFC, XML 1.0 legality, whitespace noise.

Everything a reader stores ends up in XML (OAI-PMH) and JSON; characters XML 1.0
forbids would make a whole OAI response unparseable, so they are dropped on the way
in, and the caller is told which field lost what.
"""

from __future__ import annotations

import re
import unicodedata

from metadata.xmlchars import FORBIDDEN as _XML_ILLEGAL
from metadata.xmlchars import is_clean

# Horizontal white space as it occurs in page text: spaces, tabs, no-break spaces.
_HSPACE = "[ \t\u00a0\u2007\u202f]"
_HSPACE_RUN = re.compile(f"{_HSPACE}{{2,}}")


def clean_string(value: str) -> tuple[str, tuple[str, ...]]:
    """NFC-normalise and drop XML-illegal characters; return the text and what was dropped.

    The dropped characters come back as ``U+XXXX`` labels so a warning can name them.
    """
    if is_clean(value) and (value.isascii() or unicodedata.is_normalized("NFC", value)):
        return value, ()  # most strings: two checks in C, no copy
    removed = tuple(f"U+{ord(c):04X}" for c in _XML_ILLEGAL.findall(value))
    if removed:
        value = _XML_ILLEGAL.sub("", value)
    return unicodedata.normalize("NFC", value), removed


def removal_warning(where: str, removed: tuple[str, ...]) -> str:
    """The warning text for characters ``clean_string`` removed from ``where``."""
    shown = ", ".join(dict.fromkeys(removed))
    return f"{where}: removed {len(removed)} character(s) that XML 1.0 forbids ({shown})"


def tidy_line(line: str) -> str:
    """One line without edge white space and with runs of blanks collapsed to one space."""
    return _HSPACE_RUN.sub(" ", line).strip(" \t\u00a0\u2007\u202f")


def join_paragraphs(lines: list[str]) -> str:
    """Join page lines into text: blank-line runs become one paragraph break.

    Lines that hold only white space (the site pads paragraphs with no-break spaces)
    count as blank; single line breaks inside a paragraph are kept.
    """
    out: list[str] = []
    pending_break = False
    for raw in lines:
        line = tidy_line(raw)
        if not line:
            pending_break = bool(out)
            continue
        if out:
            out.append("\n\n" if pending_break else "\n")
        out.append(line)
        pending_break = False
    return "".join(out)
