"""Language maps (P3 §4.4): BCP 47 keys or ``none``, values always arrays of strings.

A string whose language the record does not state is tagged from its script where
that is safe (Cyrillic archival foliation such as ``л. 1 об.`` is Russian in every
archive Opis serves); otherwise it gets ``none`` rather than a guess.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LanguageMap = dict[str, list[str]]

NONE = "none"
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def has_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def tag(language: str | None) -> str:
    """A usable language-map key: the BCP 47 tag when it looks like one, else ``none``."""
    return language if language and _TAG.match(language) else NONE


def text_map(text: str, language: str | None = None) -> LanguageMap:
    """One string; Cyrillic without a stated language is taken as Russian."""
    if language is None and has_cyrillic(text):
        language = "ru"
    return {tag(language): [text]}


def en(*texts: str) -> LanguageMap:
    """English interface wording (labels of metadata pairs, collections, links)."""
    return {"en": list(texts)}


def plain(*texts: str) -> LanguageMap:
    """Strings with no language: codes, names, numbers, dates."""
    return {NONE: list(texts)}


def grouped(pairs: Iterable[tuple[str, str | None]]) -> LanguageMap:
    """Several (text, language) pairs as one map, keys in first-seen order."""
    out: LanguageMap = {}
    for text, language in pairs:
        if text:
            out.setdefault(tag(language), []).append(text)
    return out
