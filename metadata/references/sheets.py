"""The sheet locator: which sheets of a unit a document occupies (``9-15``, ``1-1ob``).

Sheets locate a document *inside* a unit, so they are kept apart from the levels. The
written forms vary (``л. 1—1 об.``, ``ll. 5-7ob.``, ``L. 154 a-154 a ob.``, ``арк. 63,
64 зв., 71``, ``k. 521-22``, ``pp 31 to 36``); ``normalise`` gives one form: no spaces,
``ob`` for the verso, ``,`` between list items, leading zeros dropped (RGASPI scans pad
sheet numbers: ``0141``), abbreviated range ends expanded (``521-22`` -> ``521-522``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from metadata.references.labels import transliterate

_VERSO = r"(?:об|ob|зв)(?![^\W\d_])\.?"
# a sheet number, a letter glued to it (154a) or after one space when a separator follows
_ITEM = (
    r"\d+(?!\d)(?:[a-zа-яё](?![^\W\d_])|\s(?![гg]\.)[a-zа-яё](?=\s?(?:[-–—,;)]|\.(?!\s?\d)|об|ob|$)))?"
    rf"(?:\s?{_VERSO})?"
)
_RANGE = rf"{_ITEM}(?:\s?[-–—]\s?{_ITEM}|\s+to\s+{_ITEM})?"
# a further list item must not be a date ("Л. 60, 1931 г.")
_NEXT = rf"\s?,\s?{_RANGE}(?!\s?(?:г|g)\.)(?![^\W\d_])"
PAGES = rf"{_RANGE}(?:{_NEXT})*"
# copy markers of the Politburo edition, "Л. 67 (А)": not sheets, dropped
COPY_MARK = r"\s?\([АБВAB]\)"

PAGES_RE = re.compile(rf"(?P<pages>{PAGES})(?:{COPY_MARK})?")

_SPLIT_NUMBER = re.compile(r"^(\d+)(.*)$")


_TO = re.compile(r"\s+to\s+")
_DASH = re.compile(r"[–—]")
_VERSO_WORD = re.compile(r"(?:ob|zv)\.?")
_SPACES = re.compile(r"\s+")
_ZEROS = re.compile(r"^0+(?=\d)")


@lru_cache(maxsize=4096)
def normalise(written: str) -> str:
    """One form for a written sheet locator (see the module docstring).

    Cached: sheet numbers repeat from record to record (``l. 1``, ``ll. 2-5``).
    """
    text = transliterate(written.lower())
    text = _TO.sub("-", text)
    text = _DASH.sub("-", text)
    text = _VERSO_WORD.sub("ob", text)  # transliterated об/зв
    text = _SPACES.sub("", text).rstrip(".")
    text = text.replace(".", "")
    items = []
    for item in text.split(","):
        parts = [_strip_zeros(p) for p in item.split("-")]
        if len(parts) == 2:
            parts[1] = _expand_end(parts[0], parts[1])
        items.append("-".join(parts))
    return ",".join(items)


def _strip_zeros(part: str) -> str:
    return _ZEROS.sub("", part)


def _expand_end(start: str, end: str) -> str:
    """``521-22`` -> ``522``: an end shorter than the start borrows the start's digits."""
    a, b = _SPLIT_NUMBER.match(start), _SPLIT_NUMBER.match(end)
    if not a or not b:
        return end
    a_num, b_num = a.group(1), b.group(1)
    if len(b_num) >= len(a_num):
        return end
    full = a_num[: len(a_num) - len(b_num)] + b_num
    if int(full) < int(a_num):
        return end
    return full + b.group(2)


def is_single(pages: str) -> bool:
    """One sheet (``141``, ``5ob``) rather than a range or list: keys write ``l.`` for it."""
    return "-" not in pages and "," not in pages
