"""The shortcuts ingest relies on give what the long way gives.

Preparing a record at ingest must be cheap, so a few pure functions have fast paths or
caches: ``Record.with_key`` copies attributes instead of running ``__init__``, key
values made only of unreserved characters skip percent-coding, the set names are
cached per installed registry, and a string that is clean and normalised already is
returned by ``clean_string`` untouched. Each is checked here against the plain computation.
"""

from __future__ import annotations

import dataclasses
import pickle
import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from metadata.readers.cleaning import clean_string
from metadata.record import Page, Record, Source, Text
from metadata.references.keys import decode_value, encode_value
from metadata.references.registry import current, install
from metadata.sets import container_info, set_infos
from metadata.xmlchars import FORBIDDEN
from tests.metadata.test_crosswalks import RICH


def test_with_key_is_replace():
    for record in (RICH, Record(title="t"), Record(title="t", key="A/f.1", source=Source("1"))):
        keyed = record.with_key("GAPPOD/f.1/op.2")
        assert keyed == dataclasses.replace(record, key="GAPPOD/f.1/op.2")
        assert type(keyed) is Record and keyed.key == "GAPPOD/f.1/op.2"
        assert keyed is not record and record.key != "GAPPOD/f.1/op.2"  # the original is kept
        with pytest.raises(dataclasses.FrozenInstanceError):
            keyed.key = "x"  # type: ignore[misc]


def test_to_json_round_trips_and_omits_empty_fields():
    record = Record(
        title="t",
        description=(Text("d", None),),
        pages=(Page("a.jpg", None, 10, 20),),
        source=Source(),
    )
    data = record.to_json()
    assert data == {
        "title": "t",
        "title_language": "en",
        "description": [{"value": "d"}],
        "pages": [{"image": "a.jpg", "width": 10, "height": 20}],
    }
    assert Record.from_json(RICH.to_json()) == RICH


def test_records_pickle_whole():
    """Ingest sends prepared records between processes; the parts pickle by position."""
    record = dataclasses.replace(RICH, pages=(Page("a.jpg", "1r", 10, 20),), key="A/f.1")
    back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == record and back.to_json() == record.to_json()
    assert all(type(a) is type(b) for a, b in zip(back.pages, record.pages, strict=True))


def _slow_decode(text: str) -> str:
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(text).decode("utf-8")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=20))  # keys have no empty values
def test_key_values_round_trip(value):
    encoded = encode_value(value)
    assert decode_value(encoded) == value
    assert _slow_decode(encoded) == value
    assert all(c.isascii() and (c.isalnum() or c in "-_.~%") for c in encoded)


@pytest.mark.parametrize("bad", ["", "a b", "%2x", "%41", "%e2%80%94", "a/b"])
def test_decode_value_refuses_what_encode_value_cannot_give(bad):
    with pytest.raises(ValueError):
        decode_value(bad)


@pytest.fixture
def installed() -> Iterator[None]:
    before = current()
    try:
        yield
    finally:
        install(before)


def test_set_names_follow_the_installed_registry(installed: None) -> None:
    assert container_info("GAPPOD/f.1").name == "GAPPOD, Fond 1"
    shipped = container_info("GAPPOD").name
    renamed = current().extended([{"code": "GAPPOD", "name": "Renamed archive"}], origin="t")
    install(renamed)
    assert container_info("GAPPOD").name == "GAPPOD: Renamed archive" != shipped
    keys = [info.spec for info in set_infos(Record(title="t"), "GAPPOD/f.1/op.2/d.3/ll.1-2")]
    assert keys == ["GAPPOD", "GAPPOD:f.1", "GAPPOD:f.1:op.2", "GAPPOD:f.1:op.2:d.3"]


@given(st.text(st.characters(exclude_categories=())))  # surrogates and controls too
@example("cafe\u0301")  # not NFC
@example("\u212b")  # not NFC either (Angstrom sign)
@example("a\x00b")  # not XML
@example("\ud800")
@settings(max_examples=500)
def test_clean_string_is_the_long_way(value):
    removed = tuple(f"U+{ord(c):04X}" for c in FORBIDDEN.findall(value))
    expected = unicodedata.normalize("NFC", FORBIDDEN.sub("", value))
    assert clean_string(value) == (expected, removed)
