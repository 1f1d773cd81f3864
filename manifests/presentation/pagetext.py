"""A page's text (ALTO, PAGE XML) as annotations on its canvas: one per line.

Each line is a ``supplementing`` annotation whose body is a ``TextualBody`` with the
line's text (and language when known) and whose target is the line's box on the canvas
(``canvas#xywh=x,y,w,h``). Boxes are in the stored image's pixels, the canvas's own
coordinate space; they are clamped inside the canvas here once more, so a target never
leaves it.
"""

from __future__ import annotations

from typing import Any

from metadata.pagetext import Line, PageText

from .language import NONE, tag


def lines_page_id(canvas_id: str) -> str:
    return f"{canvas_id}/lines"


def line_id(canvas_id: str, n: int) -> str:
    """Lines are numbered from 1 in reading order."""
    return f"{lines_page_id(canvas_id)}/{n}"


def xywh(canvas_id: str, box: tuple[int, int, int, int], width: int, height: int) -> str:
    x, y, w, h = box
    x = min(max(x, 0), width - 1)
    y = min(max(y, 0), height - 1)
    w = max(1, min(w, width - x))
    h = max(1, min(h, height - y))
    return f"{canvas_id}#xywh={x},{y},{w},{h}"


def body(text: str, language: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "TextualBody", "value": text, "format": "text/plain"}
    if language and tag(language) != NONE:
        found["language"] = language
    return found


def line_annotation(
    canvas_id: str, n: int, line: Line, width: int, height: int, default: str | None
) -> dict[str, Any]:
    return {
        "id": line_id(canvas_id, n),
        "type": "Annotation",
        "motivation": "supplementing",
        "body": body(line.text, line.language or default),
        "target": xywh(canvas_id, (line.x, line.y, line.w, line.h), width, height),
    }


def annotation_page(
    canvas_id: str, width: int, height: int, text: PageText, default: str | None
) -> dict[str, Any]:
    """The canvas's lines, in reading order; ``default``: the record's language."""
    return {
        "id": lines_page_id(canvas_id),
        "type": "AnnotationPage",
        "items": [
            line_annotation(canvas_id, n, line, width, height, default)
            for n, line in enumerate(text.lines, 1)
        ],
    }
