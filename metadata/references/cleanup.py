"""Input clean-up before parsing, and the leftover text after it.

Citations arrive with line breaks, no-break spaces, en/em dashes in ranges, footnote
marks (``/1/Source: ...``), outer parentheses and bracketed editorial alternatives
(``d. [or ed. khr.] 16``); folding these first keeps the grammars small.
"""

from __future__ import annotations

import re
import unicodedata

_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u00a0\u200b\u2028\u2029\ufeff]+")
# a dash between two numbers is a range or a file-code hyphen (761.00/5–1756)
_NUMBER_DASH = re.compile(r"(?<=\d)\s?[–—‒−―]\s?(?=\d)")
_EDITORIAL = re.compile(r"\s?\[\s?(?:or|или|або)\b[^\]]*\]")
_FOOTNOTE = re.compile(r"^/\d+/\s?")
_NOISE = re.compile(r"^(?:(?:Document\s+)?Source|Call\s+Number|Archive|Архив)\s?:$", re.I)


def prepare(text: str) -> str:
    """The citation on one line, with ranges and wrappers normalised.

    Each step runs only where it can change something (no surrogate or dash in ASCII,
    no editorial note without "[", no space to fold in printable text with no double
    space): most citations need none but the NFC check.
    """
    plain = text.isascii()
    s = text if plain else _SURROGATES.sub("\ufffd", text)
    s = unicodedata.normalize("NFC", s)
    # every other character _SPACE folds is unprintable (a control, format or separator)
    s = (s if s.isprintable() and "  " not in s else _SPACE.sub(" ", s)).strip()
    if not plain:
        s = _NUMBER_DASH.sub("-", s)
    if "[" in s:
        s = _EDITORIAL.sub("", s)
    if s.startswith("/"):
        s = _FOOTNOTE.sub("", s)
    while len(s) > 1 and s[0] == "(" and s[-1] == ")" and _wraps(s):
        s = s[1:-1].strip()
    return s


def _wraps(s: str) -> bool:
    """True when the first "(" closes at the very end (the whole text is parenthesised)."""
    depth = 0
    for i, char in enumerate(s):
        depth += char == "("
        depth -= char == ")"
        if depth == 0 and i < len(s) - 1:
            return False
    return depth == 0


def remainder(s: str, start: int, end: int) -> str:
    """The text around the consumed span, without separators and source-field labels."""
    lead = s[:start].strip(" ,;:([-–—")
    tail = s[end:].lstrip(" ,;:.)]-–—").rstrip()
    lead = "" if _NOISE.match(lead) or lead.lower() in ("source", "document source") else lead
    return " ".join(part for part in (lead, tail) if part)
