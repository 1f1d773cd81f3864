"""The few words around a match that a result list shows, with the matches marked.

Made here rather than by the database (FTS5 ``snippet()``, PostgreSQL ``ts_headline``)
so both backends show the same thing, from the record's own text rather than from the
folded words the index keeps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from repository.store.search.query import Term
from repository.store.search.text import word_spans

Snippet = tuple[tuple[str, bool], ...]  # (text, is a match) pieces
WIDTH = 28  # words shown around the first match
_SPACE = re.compile(r"\s+")


def snippet(texts: Iterable[str], terms: Sequence[Term], width: int = WIDTH) -> Snippet:
    """Around the first text holding a query word; the start of the first text otherwise."""
    first: tuple[str, list[tuple[int, int, str]]] | None = None
    for text in texts:
        if not text:
            continue
        spans = word_spans(text)
        if first is None:
            first = (text, spans)
        hits = [i for i, (_, _, word) in enumerate(spans) if _matches(word, terms)]
        if hits:
            return _cut(text, spans, hits[0], width, terms)
    if first is None:
        return ()
    text, spans = first
    return _cut(text, spans, 0, width, ()) if spans else ((text[:200], False),)


def _matches(word: str, terms: Sequence[Term]) -> bool:
    for term in terms:
        for n, part in enumerate(term.words):
            last = n == len(term.words) - 1
            if word == part or (last and term.prefix and word.startswith(part)):
                return True
    return False


def _cut(
    text: str, spans: list[tuple[int, int, str]], at: int, width: int, terms: Sequence[Term]
) -> Snippet:
    start = max(0, at - width // 3)
    end = min(len(spans), start + width)
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append(("… ", False))
    cursor = spans[start][0] if start else len(text) - len(text.lstrip())
    for begin, finish, word in spans[start:end]:
        if terms and _matches(word, terms):
            if begin > cursor:
                pieces.append((_squash(text[cursor:begin]), False))
            pieces.append((text[begin:finish], True))
            cursor = finish
    tail = text[cursor : spans[end - 1][1] if end < len(spans) else len(text.rstrip())]
    if tail:
        pieces.append((_squash(tail), False))
    if end < len(spans):
        pieces.append((" …", False))
    return _join(pieces)


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text)


def _join(pieces: list[tuple[str, bool]]) -> Snippet:
    out: list[tuple[str, bool]] = []
    for text, marked in pieces:
        if out and out[-1][1] == marked and not marked:
            out[-1] = (out[-1][0] + text, False)
        elif text:
            out.append((text, marked))
    return tuple(out)
