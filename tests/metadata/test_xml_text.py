"""The crosswalks' string XML writer escapes exactly as lxml (libxml2) serialises.

The crosswalks write their payloads as strings (metadata/crosswalks/_xml.py); their bytes
must stay the ones ``etree.tostring`` gave, so every primitive is checked against lxml on
arbitrary text, forbidden characters, surrogates and markup included.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from metadata.crosswalks._xml import attribute, element, escape, quote, text, unique, wrap
from metadata.xmlchars import FORBIDDEN, clean, escape_attr, escape_text, is_clean

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
# what makes escaping and cleaning interesting, weighted up against plain letters
TRICKY = st.text(
    st.sampled_from(list("aЖ中 &<>\"'\t\n\r\x00\x01\x0b\x1f\x7f\x85\xa0\u2028\ufffe\uffff\ud800")),
    max_size=30,
)


def lxml_text(value: str) -> str:
    """What lxml writes for an element whose text is ``value`` (cleaned, as the old code set)."""
    node = etree.Element("a")
    node.text = clean(value)
    return etree.tostring(node, encoding="utf-8").decode("utf-8")


def lxml_attribute(value: str) -> str:
    node = etree.Element("a")
    node.set("b", clean(value))
    return etree.tostring(node, encoding="utf-8").decode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_escape_and_element_match_lxml(value):
    assert element("a", value) == lxml_text(value)
    assert f"<a>{escape(value)}</a>" == lxml_text(value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_quote_and_attribute_match_lxml(value):
    assert f"<a{attribute('b', value)}/>" == lxml_attribute(value)
    assert f'<a b="{quote(value)}"/>' == lxml_attribute(value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_escaped_output_is_clean_and_parses_back(value):
    for written in (escape(value), quote(value)):
        assert is_clean(written)
        written.encode("utf-8")  # no lone surrogate survives
    assert etree.fromstring(element("a", value)).text in (clean(value), None)
    assert etree.fromstring(f"<a{attribute('b', value)}/>").get("b") == clean(value)


def test_empty_and_missing_values_are_written_as_lxml_writes_them():
    assert element("a", None) == "<a/>"
    assert element("a", "") == "<a></a>"  # lxml: text = "" gives a start and an end tag
    assert element("a", "\x00") == "<a></a>"
    assert attribute("b", None) == ""
    assert attribute("b", "") == ' b=""'
    assert wrap("a", "") == "<a/>"
    assert wrap("a", "<b/>", ' c="d"') == '<a c="d"><b/></a>'


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ('say "hi"', 'say "hi"'),  # quotes are left alone in character data
        ("line\r\nend\tx", "line&#13;\nend\tx"),
        ("bad\x0b\ud800\ufffe", "bad"),
        ("&amp;", "&amp;amp;"),
        ("]]>", "]]&gt;"),
    ],
)
def test_escape_examples(value, written):
    assert escape(value) == written


def test_quote_escapes_whitespace_that_attribute_normalisation_would_eat():
    assert quote('a"b\tc\nd\re&<>') == "a&quot;b&#9;c&#10;d&#13;e&amp;&lt;&gt;"


@settings(max_examples=200, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_clean_fast_path_agrees_with_the_regex(value):
    assert clean(value) == FORBIDDEN.sub("", value)
    assert is_clean(value) == (FORBIDDEN.search(value) is None)
    assert text(value) == FORBIDDEN.sub("", value).strip()


def test_no_forbidden_character_is_printable():
    # clean() and the escapers skip the regex for printable strings: sound only because
    # every character XML 1.0 forbids (C0 controls, surrogates, U+FFFE/U+FFFF) is not
    # printable
    forbidden = [chr(c) for c in (*range(0x20), *range(0xD800, 0xE000), 0xFFFE, 0xFFFF)]
    forbidden = [char for char in forbidden if char not in "\t\n\r"]
    assert all(FORBIDDEN.fullmatch(char) for char in forbidden)
    assert not any(char.isprintable() for char in forbidden)
    assert FORBIDDEN.search("".join(chr(c) for c in range(0x20, 0xD800))) is None


def test_unique_cleans_strips_and_keeps_first_seen_order():
    assert unique(["b", " a ", None, "", "b", "a\x00", "\x01", "c"]) == ["b", "a", "c"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(ANY_TEXT, TRICKY))
def test_the_envelopes_escapes_match_lxml(value):
    """``escape_text`` and ``escape_attr`` write the OAI-PMH envelope and page text; libxml2
    writes a CR in text as ``&#13;``, which text read back as XML turns into a newline
    either way, so only that one character may differ."""
    assert f"<a>{escape_text(value)}</a>" == lxml_text(value).replace("&#13;", "\r")
    assert f'<a b="{escape_attr(value)}"/>' == lxml_attribute(value)
