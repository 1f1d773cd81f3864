"""Reading ALTO and PAGE XML: every shared sample, scaling, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from metadata.pagetext import PageTextError, read_page_text
from repository.records.pagetext import page_text_for, schemas
from tests.conftest import unavailable
from tests.pagetext.samples import CASES, SAMPLES, alto4

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"


@pytest.fixture(autouse=True)
def _samples() -> None:
    if not SAMPLES.is_dir():
        unavailable(f"{SAMPLES} is not there (the shared page-text samples)")


def _size(case) -> tuple[int, int]:
    if case.size:
        return case.size
    from PIL import Image

    with Image.open(SAMPLES / case.source_image) as image:
        return image.size


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_sample_reads_with_its_image(case):
    width, height = _size(case)
    text = page_text_for(
        (SAMPLES / case.xml).read_bytes(),
        case.xml,
        image_name=case.image,
        width=width,
        height=height,
    )
    assert text.lines, case.name
    assert (text.width, text.height) == (width, height)
    for line in text.lines:
        assert line.text.strip()
        assert line.x >= 0 and line.y >= 0 and line.w > 0 and line.h > 0
        assert line.x + line.w <= width and line.y + line.h <= height
        for word in line.words:
            assert word.x + word.w <= width and word.y + word.h <= height


def test_the_same_page_in_alto_and_page_gives_the_same_lines_in_the_same_order():
    alto, page = CASES[0], CASES[1]
    width, height = _size(alto)
    a = page_text_for(
        (SAMPLES / alto.xml).read_bytes(), "a", image_name=alto.image, width=width, height=height
    )
    p = page_text_for(
        (SAMPLES / page.xml).read_bytes(), "p", image_name=page.image, width=width, height=height
    )
    assert len(a.lines) == len(p.lines) == 24
    assert [len(line.words) for line in a.lines] == [len(line.words) for line in p.lines]
    assert a.lines[0].text.startswith("Berliniſche")
    assert p.lines[0].language == "de"  # PAGE primaryLanguage="German"


def test_alto_in_another_size_is_scaled_to_the_stored_image():
    case = next(c for c in CASES if c.name == "kb-pamphlet")  # ALTO 1608x2744, JPEG 804x1372
    data = (SAMPLES / case.xml).read_bytes()
    full = page_text_for(data, "x", image_name=case.image, width=1608, height=2744)
    half = page_text_for(data, "x", image_name=case.image, width=804, height=1372)
    for big, small in zip(full.lines, half.lines, strict=True):
        assert abs(small.x - big.x / 2) <= 1 and abs(small.w - big.w / 2) <= 1
        for bw, sw in zip(big.words, small.words, strict=True):
            assert abs(sw.y - bw.y / 2) <= 1 and abs(sw.h - bw.h / 2) <= 1


def test_alto_in_tenths_of_millimetres_and_1200ths_of_an_inch_is_placed_on_the_pixels():
    bnl = next(c for c in CASES if c.name == "bnl-lunion")  # mm10, page 3170 x 4710
    text = page_text_for(
        (SAMPLES / bnl.xml).read_bytes(), "b", image_name=bnl.image, width=1585, height=2355
    )
    assert max(line.x + line.w for line in text.lines) <= 1585
    loc = next(c for c in CASES if c.name == "chronicling-america")  # inch1200
    text = page_text_for(
        (SAMPLES / loc.xml).read_bytes(), "c", image_name=loc.image, width=2046, height=2594
    )
    assert max(line.y + line.h for line in text.lines) <= 2594


def test_lines_alone_when_the_file_has_no_words():
    case = next(c for c in CASES if c.name == "transkribus-register")
    width, height = _size(case)
    text = page_text_for(
        (SAMPLES / case.xml).read_bytes(), "t", image_name=case.image, width=width, height=height
    )
    assert text.lines and all(not line.words for line in text.lines)


def _refused(data: bytes | str, name: str = "page.xml", **kw) -> str:
    if isinstance(data, str):
        data = data.encode()
    args = {"image_name": "page.png", "width": 1000, "height": 1400, **kw}
    with pytest.raises(PageTextError) as err:
        page_text_for(data, name, **args)
    message = str(err.value)
    assert message.startswith(f"{name}: "), message  # names the file
    return message


GOOD = alto4([[("Товарищ", 10, 10, 100, 30), ("Сталин", 120, 10, 90, 30)]], 1000, 1400)


def test_a_good_small_file_reads():
    text = page_text_for(GOOD.encode(), "g", image_name="page.png", width=1000, height=1400)
    assert text.lines[0].text == "Товарищ Сталин"


def test_a_page_of_another_shape_is_refused():
    message = _refused(GOOD, "p1.xml", width=1400, height=1000)
    assert "does not fit the image" in message


def test_a_file_made_for_another_image_is_refused():
    other = GOOD.replace(
        "</MeasurementUnit>",
        "</MeasurementUnit><sourceImageInformation><fileName>other-page.tif</fileName>"
        "</sourceImageInformation>",
    )
    assert "made for image 'other-page.tif'" in _refused(other)


def test_entities_are_refused_not_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE alto [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>' + GOOD.split("?>", 1)[1].replace("Сталин", "&b;")
    )
    assert "DOCTYPE" in _refused(bomb)
    external = (
        '<?xml version="1.0"?><!DOCTYPE alto [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        + GOOD.split("?>", 1)[1].replace("Сталин", "&x;")
    )
    assert "DOCTYPE" in _refused(external)


def test_a_file_its_schema_refuses_is_refused():
    bad = GOOD.replace('HPOS="10"', 'HPOS="ten"', 1)
    assert "not valid against its schema" in _refused(bad)


def test_other_xml_and_broken_xml_are_refused():
    assert "neither ALTO nor PAGE" in _refused("<html><body/></html>")
    assert "not well-formed" in _refused("<alto")


def test_schemas_load_offline():
    # no network: a remote import would fail, so loading them at all proves it
    loaded = schemas()
    assert set(loaded) == {"alto3", "alto4", "page2013", "page2019"}


def test_the_runtime_xsds_are_the_ones_the_tests_keep():
    runtime = Path(read_page_text.__code__.co_filename).parent / "xsd"
    pairs = {
        "alto/alto-3-1.xsd": "alto/alto-3-1.xsd",
        "alto/alto-4-4.xsd": "alto/alto-4-4.xsd",
        "alto/xlink.xsd": "alto/xlink.xsd",
        "page-2013-07-15/pagecontent.xsd": "page/2013-07-15/pagecontent.xsd",
        "page-2019-07-15/pagecontent.xsd": "page/2019-07-15/pagecontent.xsd",
    }
    for ours, kept in pairs.items():
        assert (runtime / ours).read_bytes() == (SCHEMA_DIR / kept).read_bytes(), ours


def test_the_kept_xsds_are_schemas():
    for path in sorted((SCHEMA_DIR / "alto").glob("alto-*.xsd")) + sorted(
        (SCHEMA_DIR / "page").glob("*/pagecontent.xsd")
    ):
        etree.parse(str(path), etree.XMLParser(no_network=True))
