"""Words as search compares them: folded the same way when indexed, queried and highlighted.

Folding happens here, in Python, for both backends, so SQLite and PostgreSQL agree on
what matches: compatibility decomposition (ligatures, full-width forms), accents and
other combining marks dropped (``É`` → ``e``, ``ё`` → ``е``), then Unicode case folding,
which covers Cyrillic, Greek and the rest (``ГАППОД`` → ``гаппод``, ``ß`` → ``ss``).
Dropping marks also folds ``й`` into ``и``; both sides fold, so that only widens a match.
"""

from __future__ import annotations

import re
import unicodedata

# Combining marks of every block that has them; NFKD puts accents here.
_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
_WORD = re.compile(r"[^\W_]+")
# Private-use characters mark index tags (see search_sqlite); a user's text never has them.
PRIVATE = re.compile("[\ue000-\uf8ff]")


def fold(text: str) -> str:
    """Lower-case, accent-free, compatibility-decomposed text; the same length class."""
    if text.isascii():
        return text.lower()
    text = _MARKS.sub("", unicodedata.normalize("NFKD", PRIVATE.sub(" ", text)))
    return unicodedata.normalize("NFC", text.casefold())


def words(text: str) -> list[str]:
    """The folded words of a text, in order (what both indexes store)."""
    return _WORD.findall(fold(text))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded word) for every word of ``text``, positions in the original."""
    return [(m.start(), m.end(), fold(m.group())) for m in _WORD.finditer(text)]
