"""Record text in IIIF documents: always shown as text, never run as HTML.

Opis publishes no markup of its own: every string a record holds is plain text. IIIF
viewers, though, read some values as HTML (P3 §4.4): ``summary`` and the ``value`` of
``metadata`` and ``requiredStatement`` are HTML when the string starts with ``<`` and
ends with ``>``, and several viewers (Mirador among them) pass every such value through
an HTML sanitiser whatever its first character. So a title such as
``<script>alert(1)</script>``, or an editorial ``<illegible>``, must reach the reader
as the characters it is, and must never become a tag. Two cases:

* Where HTML is allowed (``html_value``): a string that an HTML parser would find a
  tag, comment or declaration in (``<`` followed by a letter, ``/``, ``!`` or ``?``),
  or that a viewer would take as HTML (it starts with ``<`` and ends with ``>``), is
  published as HTML that says exactly that text: escaped, inside one ``<span>``. A
  viewer that reads it as HTML shows the text; nothing in it is an element, an
  attribute or a link. Any other string is published unchanged.
* Where HTML is not allowed (``label_text``: every ``label``; P3 §4.4 "MUST NOT be
  included in the label"), escaping would show as ``&lt;`` in a conforming viewer, so
  each ``<`` that would open markup is followed by U+2060 WORD JOINER, which has no
  width and no glyph: the label reads the same, and no parser can see a tag in it.

Transcriptions are annotation bodies with ``format: text/plain``, so they are text by
their own declaration and published as they are.
"""

from __future__ import annotations

import re
from html import escape

from .language import LanguageMap

# "<" where an HTML tokenizer starts a tag, an end tag, a comment/doctype/CDATA, or a
# processing instruction (HTML §13.2.5.6 tag open state).
OPENS_MARKUP = re.compile(r"<(?=[A-Za-z/!?])")
WORD_JOINER = "\u2060"


def looks_like_html(text: str) -> bool:
    """Whether a viewer could read ``text`` as HTML: P3's test, or any markup in it."""
    stripped = text.strip()
    framed = stripped.startswith("<") and stripped.endswith(">")
    return framed or OPENS_MARKUP.search(text) is not None


def html_value(text: str) -> str:
    """``text`` for a property that may hold HTML: unchanged, or escaped in a ``<span>``."""
    if not looks_like_html(text):
        return text
    return f"<span>{escape(text, quote=False)}</span>"


def label_text(text: str) -> str:
    """``text`` for a property that must not hold HTML (labels): no ``<`` opens markup."""
    return OPENS_MARKUP.sub("<" + WORD_JOINER, text)


def safe_value(value: LanguageMap) -> LanguageMap:
    """A language map of record text for ``summary`` or a metadata/requiredStatement value."""
    return {key: [html_value(text) for text in texts] for key, texts in value.items()}


def safe_label(value: LanguageMap) -> LanguageMap:
    """A language map of record text for a ``label``."""
    return {key: [label_text(text) for text in texts] for key, texts in value.items()}
