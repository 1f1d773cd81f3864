"""Page text as Opis keeps it: lines in reading order, words when the file has them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


# Words and lines are named tuples, not frozen dataclasses: a page has hundreds of
# words, and a tuple is made (and unpickled, between processes) several times faster.
class Word(NamedTuple):
    text: str
    x: int
    y: int
    w: int
    h: int

    def to_json(self) -> list[Any]:
        return list(self)


class Line(NamedTuple):
    text: str
    x: int
    y: int
    w: int
    h: int
    words: tuple[Word, ...] = ()
    language: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"text": self.text, "box": [self.x, self.y, self.w, self.h]}
        if self.words:
            out["words"] = [w.to_json() for w in self.words]
        if self.language:
            out["language"] = self.language
        return out


@dataclass(frozen=True, slots=True)
class PageText:
    """``width``/``height``: the stored image the boxes are in (pixels)."""

    width: int
    height: int
    lines: tuple[Line, ...]
    source_format: str = ""  # "alto" or "page"
    digest: str = ""  # SHA-256 of the file read (what a content hash needs of it)

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "format": self.source_format,
            "lines": [line.to_json() for line in self.lines],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageText:
        lines = []
        for item in data.get("lines", []):
            x, y, w, h = (int(v) for v in item["box"])
            words = tuple(
                Word(str(t), int(a), int(b), int(c), int(d))
                for t, a, b, c, d in item.get("words", [])
            )
            lines.append(Line(str(item["text"]), x, y, w, h, words, item.get("language")))
        return cls(
            int(data["width"]), int(data["height"]), tuple(lines), str(data.get("format", ""))
        )
