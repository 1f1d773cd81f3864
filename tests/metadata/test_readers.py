"""Input readers: Digital Archive page text and JSON records (metadata/readers)."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metadata.readers import (
    Limits,
    ReaderError,
    ReadResult,
    iter_json_lines,
    read_json_records,
    read_page_text,
    record_problems,
)
from metadata.readers.credits import parse_credits, split_source
from metadata.readers.dates import parse_display_date, validate_iso_date
from metadata.readers.json_record import FIELDS
from metadata.readers.languages import language_code
from metadata.readers.names import invert_name
from metadata.readers.oai_xml import read_oai_record
from metadata.readers.page_text import PUBLISHER
from metadata.record import Agent, Page, Source, Text, TextBody
from tests.conftest import SHARED, fuzz_examples, shared_path

NBSP = "\u00a0"

# --------------------------------------------------------------------------- corpus

_CORPUS = SHARED / "corpus"
CORPUS_FILES = sorted(p.name for p in _CORPUS.glob("*.txt")) if _CORPUS.is_dir() else ["-"]


def _index() -> dict[str, dict[str, str]]:
    path = shared_path("corpus", "INDEX.tsv")
    with path.open(encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


def _read_corpus(name: str) -> ReadResult:
    return read_page_text(shared_path("corpus", name).read_text(encoding="utf-8"))


def test_corpus_has_the_27_indexed_pages():
    index = _index()
    assert len(CORPUS_FILES) == 27
    assert set(index) == set(CORPUS_FILES)


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_every_corpus_page_reads(name):
    row = _index()[name]
    result = _read_corpus(name)
    record = result.record
    assert record.title == row["title"]
    assert record.date == row["date"]
    assert record.publisher == PUBLISHER
    assert record.text and record.text[0].content
    reference = row["archival_reference"]
    if reference.startswith("(prose)"):
        assert record.citation is not None and "RGASPI, f. 558" in record.citation
    elif reference and not reference.startswith("("):
        assert record.citation == reference
    else:
        assert record.citation is None
        assert any("no archival citation" in w for w in result.warnings)
    page = shared_path("corpus", name).read_text(encoding="utf-8")
    if row["record_id"] and f"Record ID\n\n{row['record_id']}" in page:
        assert record.source.id == row["record_id"]
    else:  # the other ids come from the page's URL, which the text does not hold
        assert record.source.id is None
    completeness = row["completeness"]
    if completeness.startswith(("truncated", "near-complete", "body complete; cut")):
        assert any("cut short" in w for w in result.warnings), result.warnings
    if completeness.startswith("truncated"):
        assert any("no Document Information" in w for w in result.warnings)
    for warning in result.warnings:
        assert isinstance(warning, str) and warning


def test_seed_letter_in_detail():
    result = _read_corpus("seed-gappod-f1-op89-d112.txt")
    record = result.record
    assert record.title == (
        "Letter from Bagirov to Stalin and Molotov about Qavam delaying talks with the "
        "Iranian Azerbaijani government"
    )
    assert record.date == "1946-04-20"
    assert record.description == (
        Text(
            "A letter from Bagirov to Stalin and Molotov about Qavam delaying talks with the "
            "Iranian Azerbaijani government and the presence of offensive Iranian troops.",
            "en",
        ),
    )
    assert record.creators == ("Bagirov, M. D.", "Maslennikov, I. I.")
    assert record.contributors == (
        Agent("Hasanli, Jamil", "obtainer"),
        Agent("Goldberg, Gary", "translator"),
    )
    assert record.citation == "GAPPOD, f.1, op.89, d.112"
    assert "HAPP@wilsoncenter.org" in record.rights
    assert "protected]" not in record.rights
    assert record.rights.startswith("The History and Public Policy Program welcomes reuse")
    (body,) = record.text
    assert (body.kind, body.language) == ("translation", "en")
    assert body.content.startswith("To Cde. Stalin\n\nTo Cde. Molotov\n\nPishevari and our people")
    assert "Pishevari and our people from Tabriz report that for some reason Qavam" in body.content
    assert (
        "For our part we request your instructions to Cde. Sadchikov about influencing Qavam"
        in body.content
    )
    assert body.content.endswith("OPS Duty Officer Kupryazhina]")
    assert "\n\n\n" not in body.content
    assert "Skip to content" not in body.content
    assert "Document Information" not in body.content
    assert record.source == Source(id=None, url=None)
    assert result.warnings == ()


def test_labelled_variant_120502():
    record = _read_corpus("120502.txt").record
    assert record.source == Source(id="120502", url=None)
    assert record.types == ("Letter",)
    assert record.citation == "GAPPOD, f.1, op.89, d.106"
    assert record.creators == ("Bagirov, M. D.",)
    assert record.rights.endswith("HAPP@wilsoncenter.org.")
    assert NBSP not in record.text[0].content
    assert record.description == (
        Text(
            "Message requesting paper for the publication of newspapers and an illustrated "
            "magazine",
            "en",
        ),
    )


def test_old_layout_123125():
    result = _read_corpus("123125_oldlayout.txt")
    record = result.record
    assert record.citation == "MNL OL XIX-J-1-j É-Korea, 1972, 60. doboz, 81-146, 00394"
    assert record.contributors == (Agent("Majer, Imre", "translator"),)
    assert record.funders == ("Carnegie Corporation of New York (CCNY)",)
    assert record.description[0].value.startswith("A report by Barity Miklos on the visit")
    body = record.text[0]
    assert (body.kind, body.language) == ("translation", "en")
    assert "get citation" not in body.content
    assert "English HTML" not in body.content
    assert body.content.startswith("Barity Miklós")


def test_prose_source_gives_reference_and_keeps_prose():
    result = _read_corpus("slug_ciphered-telegram-no-8600-vyshinsky-mao-zedong.txt")
    record = result.record
    assert record.citation == "RGASPI, f. 558, op. 11, d. 334, ll.0055"
    assert record.description[1].value.startswith("The document, from the Russian Presidential")
    assert "rights text cut short" in result.warnings


def test_funders_from_top_line_and_trailing_list():
    name = (
        "slug_cable-chinese-foreign-ministry-please-report-situation-investigation-"
        "automobiles-soviet.txt"
    )
    record = _read_corpus(name).record
    assert record.funders == ("MacArthur Foundation", "Henry Luce Foundation")
    assert record.source.id is None
    assert record.contributors == (Agent("Kraus, Charles", "translator"),)


def test_node_page_with_text_above_the_date():
    result = _read_corpus("node_95071.txt")
    assert result.record.description[0].value.startswith("In this letter Mir Aga Azeria")
    assert any("above the date line" in w for w in result.warnings)
    assert "rights text cut short" in result.warnings
    assert not result.record.text[0].content.startswith("This memo")


def test_typed_signature_in_capitals():
    name = "slug_letter-cpsu-central-committee-smirnov-regarding-f-serabi.txt"
    result = _read_corpus(name)
    assert result.record.creators == ("Iskenderov, M.",)
    assert "page cut short: nothing follows 'Document Information'" in result.warnings


# ------------------------------------------------------------ page text, no shared data

PAGE = f"""Skip to content

March 3, 1951

Note from the Harbour Office on Winter Shipping

This document was made possible with support from the Example Heritage Foundation

To the Director of the Port

{NBSP}

The ice on the northern channel has  thickened earlier than usual this year, and two
cargo vessels are waiting at the outer anchorage.

{NBSP}

We ask for permission to hire a second icebreaker until the end of the month.

{NBSP}

P. K. Lindqvist

3 March 1951

A note asking the port director to hire a second icebreaker for the northern channel.

Author(s):

Associated Places

Document Information

Source

Harbour Archive, f. 12, op. 3, d. 45. Obtained by Maria Ortega and translated and edited by \
Anna Berg, Tom Reyes, and Lee Chan.

Rights

Reuse is welcome for research; ask the programme at [email{NBSP}protected].

Original Uploaded Date

2020-01-15

Type

Memorandum

Language

Swedish

Record ID

987654

Example Heritage Foundation and Northern Shipping Trust
"""


def test_inline_page_every_field():
    result = read_page_text(PAGE)
    record = result.record
    assert record.title == "Note from the Harbour Office on Winter Shipping"
    assert record.date == "1951-03-03"
    assert record.description == (
        Text(
            "A note asking the port director to hire a second icebreaker for the northern channel.",
            "en",
        ),
    )
    assert record.citation == "Harbour Archive, f. 12, op. 3, d. 45"
    assert record.contributors == (
        Agent("Ortega, Maria", "obtainer"),
        Agent("Berg, Anna", "translator"),
        Agent("Berg, Anna", "editor"),
        Agent("Reyes, Tom", "translator"),
        Agent("Reyes, Tom", "editor"),
        Agent("Chan, Lee", "translator"),
        Agent("Chan, Lee", "editor"),
    )
    assert record.creators == ("Lindqvist, P. K.",)
    assert (
        record.rights
        == "Reuse is welcome for research; ask the programme at HAPP@wilsoncenter.org."
    )
    assert record.types == ("Memorandum",)
    assert record.language == ("sv",)
    assert record.source == Source(id="987654", url=None)
    assert record.funders == ("Example Heritage Foundation", "Northern Shipping Trust")
    assert record.publisher == PUBLISHER
    assert record.text == (
        TextBody(
            "To the Director of the Port\n\n"
            "The ice on the northern channel has thickened earlier than usual this year, and two\n"
            "cargo vessels are waiting at the outer anchorage.\n\n"
            "We ask for permission to hire a second icebreaker until the end of the month.\n\n"
            "P. K. Lindqvist\n\n3 March 1951",
            "en",
            "translation",
        ),
    )
    assert result.warnings == ()


def test_author_field_wins_over_signatures():
    page = PAGE.replace("Author(s):\n", "Author(s):\n\nLindqvist, Per Karl\n")
    assert read_page_text(page).record.creators == ("Lindqvist, Per Karl",)
    page = PAGE.replace("Author(s):\n", "Author(s): Lindqvist, Per Karl; Ann Holm\n")
    assert read_page_text(page).record.creators == ("Lindqvist, Per Karl", "Holm, Ann")


def test_record_txt_without_navigation_and_crlf():
    page = PAGE.replace("Skip to content\n\n", "").replace("\n", "\r\n")
    record = read_page_text(page).record
    assert record.title == "Note from the Harbour Office on Winter Shipping"
    assert record.source.id == "987654"


def test_cut_short_page_warns_and_keeps_what_it_has():
    page = PAGE.split("\nP. K. Lindqvist")[0]
    result = read_page_text(page)
    record = result.record
    assert record.title == "Note from the Harbour Office on Winter Shipping"
    assert record.citation is None and record.rights is None and record.description == ()
    assert record.creators == ()  # no signatures guessed from a page cut short
    assert record.text[0].content.endswith("until the end of the month.")
    assert set(result.warnings) >= {
        "page cut short: no Document Information block (the text may be incomplete)",
        "no archival citation on the page (cut short before 'Document Information')",
        "no description: the page has no one-sentence summary",
        "no rights statement on the page",
    }


def test_rights_cut_short_and_missing_source_value():
    page = PAGE.split("Reuse is welcome")[0] + "Reuse is welcome for"
    page = page.replace(
        "Harbour Archive, f. 12, op. 3, d. 45. Obtained by Maria Ortega and "
        "translated and edited by Anna Berg, Tom Reyes, and Lee Chan.\n",
        "",
    )
    result = read_page_text(page)
    assert result.record.rights == "Reuse is welcome for"
    assert "rights text cut short" in result.warnings
    assert (
        "no archival citation on the page (the Source label has no value in this copy)"
        in result.warnings
    )


def test_unparsed_date_is_a_warning():
    page = PAGE.replace("March 3, 1951", "circa 1951")
    result = read_page_text(page)
    assert result.record.date is None
    assert result.record.title == "Note from the Harbour Office on Winter Shipping"
    assert "no date: the date line 'circa 1951' is not understood" in result.warnings


def test_page_without_date_takes_the_first_line_as_title():
    page = (
        "A Title Without Date\n\nTo the committee\n\n20 April 1946\n\n"
        "The body of this invented page runs long enough to be a paragraph.\n\n"
        "A summary sentence of the invented page.\n\nDocument Information\n\n"
        "Source\n\nX, f. 1\n"
    )
    result = read_page_text(page)
    assert result.record.title == "A Title Without Date"
    assert result.record.date is None
    assert result.record.citation == "X, f. 1"
    assert "no date: the page has no date line above the title" in result.warnings


def test_partial_dates_on_pages():
    assert read_page_text(PAGE.replace("March 3, 1951", "July 1945")).record.date == "1945-07"
    assert read_page_text(PAGE.replace("March 3, 1951", "1952")).record.date == "1952"


def test_old_layout_inline():
    page = """Search in

Digital Archive International History Declassified

May 1960

  • Citation

    get citation

    A short made-up telegram about fishing quotas.
    "Telegram on Fishing Quotas," May 1960, History and Public Policy Program Digital \
Archive, Coastal Archive, fond 7, file 22. Translated by Jon Smith. \
https://digitalarchive.wilsoncenter.org/document/555
  • share document


English HTML

The quota for the spring season is confirmed at the previous level.
"""
    record = read_page_text(page).record
    assert record.title == "Telegram on Fishing Quotas"
    assert record.date == "1960-05"
    assert record.citation == "Coastal Archive, fond 7, file 22"
    assert record.contributors == (Agent("Smith, Jon", "translator"),)
    assert record.description == (Text("A short made-up telegram about fishing quotas.", "en"),)
    assert record.source == Source("555", "https://digitalarchive.wilsoncenter.org/document/555")
    assert record.text == (
        TextBody(
            "The quota for the spring season is confirmed at the previous level.",
            "en",
            "translation",
        ),
    )


def test_untranslated_non_english_text_is_a_transcription():
    page = PAGE.replace(
        "Obtained by Maria Ortega and translated and edited by Anna Berg, Tom Reyes, and Lee Chan.",
        "",
    )
    body = "Isen i norra kanalen har lagt sig tidigare än vanligt i år.\n\n"
    start = page.index("To the Director")
    end = page.index("P. K. Lindqvist")
    record = read_page_text(page[:start] + body + page[end:]).record
    assert record.text == (
        TextBody(
            "Isen i norra kanalen har lagt sig tidigare än vanligt i år.\n\n"
            "P. K. Lindqvist\n\n3 March 1951",
            "sv",
            "transcription",
        ),
    )


def test_page_text_strips_xml_illegal_characters():
    result = read_page_text(PAGE.replace("Winter Shipping", "Winter\x07 Shipping"))
    assert result.record.title == "Note from the Harbour Office on Winter Shipping"
    assert "page text: removed 1 character(s) that XML 1.0 forbids (U+0007)" in result.warnings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty text"),
        (f"  \n{NBSP}\n\n", "empty text"),
        ("Just a shopping list\nmilk\nbread\n", "not a Digital Archive page"),
        ("April 20, 1946\n\n\n", "no title: nothing follows the date line (line 1)"),
        ("Skip to content\n\nget citation\n", "no title: the text holds only site navigation"),
        ("April 20, 1946\n\nDocument Information\n", "no title: line 3"),
    ],
)
def test_page_without_title_is_an_error(text, message):
    with pytest.raises(ReaderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_page_text(text)


# --------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("name", "inverted"),
    [
        ("Gary Goldberg", "Goldberg, Gary"),
        ("M. D. Bagirov", "Bagirov, M. D."),
        ("Goldberg, Gary", "Goldberg, Gary"),
        ("  Jamil   Hasanli ", "Hasanli, Jamil"),
        ("Ludwig van Beethoven", "van Beethoven, Ludwig"),
        ("Martin Luther King Jr.", "King, Martin Luther, Jr."),
        ("CWIHP", "CWIHP"),
        ("Leon Levy Foundation", "Leon Levy Foundation"),
        ("the South Korean Embassy", "the South Korean Embassy"),
        ("History and Public Policy Program", "History and Public Policy Program"),
        ("Plato", "Plato"),
    ],
)
def test_invert_name(name, inverted):
    assert invert_name(name) == inverted


@pytest.mark.parametrize(
    ("shown", "iso"),
    [
        ("April 20, 1946", "1946-04-20"),
        ("20 April 1946", "1946-04-20"),
        ("July 1945", "1945-07"),
        ("February, 1946", "1946-02"),
        ("1952", "1952"),
        ("Sept. 3, 1950", "1950-09-03"),
        ("1946-04-20", "1946-04-20"),
        ("April 17, 1946 - April 20, 1946", "1946-04-17/1946-04-20"),
        ("1945-1946", "1945/1946"),
        ("February 30, 1946", None),
        ("circa 1950", None),
        ("Top Secret", None),
    ],
)
def test_parse_display_date(shown, iso):
    assert parse_display_date(shown) == iso


@pytest.mark.parametrize(
    ("source", "reference", "agents"),
    [
        (
            "GAPPOD, f.1, op.89, d.112. Obtained for CWIHP by Jamil Hasanli and translated "
            "for CWIHP by Gary Goldberg.",
            "GAPPOD, f.1, op.89, d.112",
            (Agent("Hasanli, Jamil", "obtainer"), Agent("Goldberg, Gary", "translator")),
        ),
        ("X 1, 2. Translated by Imre Majer.", "X 1, 2", (Agent("Majer, Imre", "translator"),)),
        (
            "APRF, fond 45, opis 1, delo 335, list 3.",
            "APRF, fond 45, opis 1, delo 335, list 3.",
            (),
        ),
        (
            "MOL, XIX-J-1-j Korea, 2. doboz, 2/b. Translated by Balazs Szalontai.",
            "MOL, XIX-J-1-j Korea, 2. doboz, 2/b",
            (Agent("Szalontai, Balazs", "translator"),),
        ),
        (
            "A, f. 1. Translated by Gary G. Goldberg for CWIHP.",
            "A, f. 1",
            (Agent("Goldberg, Gary G.", "translator"),),
        ),
        (
            "A, f. 1. Obtained and translated by CWIHP.",
            "A, f. 1",
            (Agent("CWIHP", "obtainer"), Agent("CWIHP", "translator")),
        ),
    ],
)
def test_source_line_split_into_citation_and_credits(source, reference, agents):
    ref, credits = split_source(source)
    assert ref == reference
    assert parse_credits(credits)[0] == agents


def test_language_codes():
    assert language_code("Russian") == "ru"
    assert language_code("rus") == "ru"
    assert language_code("ger") == "de"
    assert language_code("en") == "en"
    assert language_code("zh-Hant") == "zh-Hant"
    assert language_code("Klingon") is None


# ---------------------------------------------------------------------- JSON records

FULL = {
    "reference": "GAPPOD, f.1, op.89, d.112",
    "title": "Letter from Bagirov to Stalin and Molotov",
    "date": "1946-04-20",
    "description": "A letter about delayed talks.",
    "creators": ["Bagirov, M. D.", "Maslennikov, I. I."],
    "contributors": [{"name": "Goldberg, Gary", "role": "translator"}, "Hasanli, Jamil"],
    "language": ["ru", "en"],
    "subjects": ["Iran-Azerbaijan Crisis of 1946"],
    "places": ["Tabriz"],
    "collections": ["Iran crisis"],
    "types": ["Letter"],
    "publisher": "Example Publisher",
    "rights": "Free to reuse.",
    "funders": ["Leon Levy Foundation"],
    "text": [{"language": "en", "kind": "translation", "content": "To Cde. Stalin ..."}],
    "source": {"id": "120502", "url": "https://example.org/document/120502"},
    "pages": [{"image": "001.jpg", "label": "l. 1"}, "002.jpg"],
}


def _one(text: str) -> ReadResult:
    (result,) = read_json_records(text)
    assert isinstance(result, ReadResult), result
    return result


def test_json_single_object_every_field():
    result = _one(json.dumps(FULL))
    record = result.record
    assert record.citation == "GAPPOD, f.1, op.89, d.112"
    assert record.title == "Letter from Bagirov to Stalin and Molotov"
    assert record.date == "1946-04-20"
    assert record.description == (Text("A letter about delayed talks."),)
    assert record.creators == ("Bagirov, M. D.", "Maslennikov, I. I.")
    assert record.contributors == (Agent("Goldberg, Gary", "translator"), Agent("Hasanli, Jamil"))
    assert record.language == ("ru", "en")
    assert record.subjects == ("Iran-Azerbaijan Crisis of 1946",)
    assert record.places == ("Tabriz",)
    assert record.collections == ("Iran crisis",)
    assert record.types == ("Letter",)
    assert record.publisher == "Example Publisher"
    assert record.rights == "Free to reuse."
    assert record.funders == ("Leon Levy Foundation",)
    assert record.text == (TextBody("To Cde. Stalin ...", "en", "translation"),)
    assert record.source == Source("120502", "https://example.org/document/120502")
    assert record.pages == (Page("001.jpg", "l. 1"), Page("002.jpg"))
    assert result.warnings == ()


def test_json_minimal_record_and_alternative_shapes():
    record = _one(
        json.dumps(
            {
                "reference": "A 1",
                "title": "T",
                "type": "Letter",
                "language": "Russian",
                "description": ["One.", {"value": "Zwei.", "language": "de"}],
                "source": {"id": 120502},
                "date": "1945/1946-04",
                "rights": None,
            }
        )
    ).record
    assert record.types == ("Letter",)
    assert record.language == ("ru",)
    assert record.description == (Text("One."), Text("Zwei.", "de"))
    assert record.source == Source("120502")
    assert record.date == "1945/1946-04"
    assert record.rights is None


@pytest.mark.parametrize("date", ["1946", "1946-04", "1946-04-20", "1946-04-17/1946-04-20"])
def test_json_accepts_iso_dates(date):
    assert _one(json.dumps({"reference": "A", "title": "T", "date": date})).record.date == date


def test_json_array_keeps_order_and_lines():
    text = (
        '[\n  {"reference": "A", "title": "one"},\n  {"reference": "B", "title": ""},\n'
        '  {"reference": "C", "title": "three"}\n]'
    )
    first, second, third = read_json_records(text)
    assert first.record.title == "one" and third.record.title == "three"
    assert isinstance(second, ReaderError)
    assert (
        str(second) == 'record 2 (line 3): "title" must be a non-empty string, not an empty string'
    )
    assert (second.record, second.line) == (2, 3)


def test_json_lines_bad_line_fails_only_that_record():
    text = "\n".join(
        [
            '{"reference": "A", "title": "one"}',
            '{"reference": "B", "title": "two", ',
            "",
            '{"reference": "C", "title": 3}',
            '{"reference": "D", "title": "four"}',
        ]
    )
    results = read_json_records(text)
    assert [type(r).__name__ for r in results] == [
        "ReadResult",
        "ReaderError",
        "ReaderError",
        "ReadResult",
    ]
    assert results[0].record.citation == "A"
    assert results[3].record.citation == "D"
    assert str(results[1]).startswith("record 2 (line 2): malformed JSON at column")
    assert str(results[2]) == 'record 3 (line 4): "title" must be a non-empty string, not a number'


def test_json_lines_with_a_broken_first_line():
    text = (
        '{"reference": "A", \n{"reference": "B", "title": "two"}\n{"reference": "C", "title": "x"}'
    )
    results = read_json_records(text)
    assert isinstance(results[0], ReaderError)
    assert [r.record.citation for r in results[1:]] == ["B", "C"]


def test_malformed_single_document_is_one_error():
    (error,) = read_json_records('{\n  "reference": "A",\n  "title": \n}\n')
    assert isinstance(error, ReaderError)
    assert str(error) == "malformed JSON at line 4, column 1: Expecting value"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no JSON records in the input: it is empty"),
        ("   \n", "no JSON records in the input: it is empty"),
        ("42", "the input must be a JSON object, an array of objects or JSON Lines, not a number"),
        ('"x"', "the input must be a JSON object, an array of objects or JSON Lines, not a string"),
        ("[1]", "record 1 (line 1): must be a JSON object, not a number"),
    ],
)
def test_json_whole_input_errors(text, message):
    (error,) = read_json_records(text)
    assert isinstance(error, ReaderError)
    assert str(error) == message


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"reference": None}, '"reference" must be a non-empty string, not null'),
        ({"reference": ""}, '"reference" must be a non-empty string, not an empty string'),
        ({"title": None}, '"title" must be a non-empty string, not null'),
        ({"title": ["x"]}, '"title" must be a non-empty string, not a list'),
        ({"title": 3}, '"title" must be a non-empty string, not a number'),
        (
            {"date": "20 April 1946"},
            "\"date\" must be YYYY, YYYY-MM, YYYY-MM-DD or a range A/B: '20 April 1946' is not "
            "YYYY, YYYY-MM or YYYY-MM-DD",
        ),
        (
            {"date": "1946-02-30"},
            "\"date\" must be YYYY, YYYY-MM, YYYY-MM-DD or a range A/B: '1946-02-30' has no day 30",
        ),
        (
            {"date": "1946/1945"},
            '"date" must be YYYY, YYYY-MM, YYYY-MM-DD or a range A/B: the range ends before it '
            "starts",
        ),
        (
            {"date": "1945/1946/1947"},
            '"date" must be YYYY, YYYY-MM, YYYY-MM-DD or a range A/B: '
            "a range has exactly one '/'",
        ),
        ({"date": 1946}, '"date" must be a non-empty string, not a number'),
        ({"description": 5}, '"description" must be a string or a list of strings, not a number'),
        ({"description": [""]}, '"description[0]" must be a non-empty string, not an empty string'),
        ({"creators": "Bagirov, M. D."}, '"creators" must be a list of strings, not a string'),
        ({"creators": ["A, B", 7]}, '"creators[1]" must be a non-empty string, not a number'),
        ({"contributors": {"name": "x"}}, '"contributors" must be a list, not an object'),
        (
            {"contributors": [3]},
            '"contributors[0]" must be a string or an object {"name", "role"}, not a number',
        ),
        (
            {"contributors": [{"role": "translator"}]},
            '"contributors[0].name" must be a non-empty string, not null',
        ),
        (
            {"contributors": [{"name": "X", "role": 1}]},
            '"contributors[0].role" must be a non-empty string, not a number',
        ),
        ({"language": 5}, '"language" must be a string or a list of strings, not a number'),
        (
            {"language": ["Klingon"]},
            '"language[0]" \'Klingon\' is not a language code (ISO 639, e.g. "ru") or name',
        ),
        ({"subjects": "x"}, '"subjects" must be a list of strings, not a string'),
        ({"places": [None]}, '"places[0]" must be a non-empty string, not null'),
        ({"collections": {}}, '"collections" must be a list of strings, not an object'),
        ({"funders": [True]}, '"funders[0]" must be a non-empty string, not a boolean'),
        ({"types": 1}, '"types" must be a string or a list of strings, not a number'),
        ({"type": "Letter", "types": ["Letter"]}, '"type" and "types" are both given; use one'),
        ({"publisher": 1}, '"publisher" must be a non-empty string, not a number'),
        ({"rights": []}, '"rights" must be a non-empty string, not a list'),
        ({"text": "words"}, '"text" must be a list of objects, not a string'),
        (
            {"text": ["words"]},
            '"text[0]" must be an object {"language", "kind", "content"}, not a string',
        ),
        (
            {"text": [{"kind": "summary", "content": "x"}]},
            "\"text[0].kind\" must be one of transcription, translation, not 'summary'",
        ),
        ({"text": [{"content": "x"}]}, '"text[0].kind" must be a non-empty string, not null'),
        (
            {"text": [{"kind": "translation"}]},
            '"text[0].content" must be a non-empty string, not null',
        ),
        (
            {"text": [{"kind": "translation", "content": "x", "language": "xx-"}]},
            '"text[0].language" \'xx-\' is not a language code (ISO 639, e.g. "ru") or name',
        ),
        ({"source": "120502"}, '"source" must be an object {"id", "url"}, not a string'),
        ({"source": {"id": []}}, '"source.id" must be a non-empty string, not a list'),
        (
            {"source": {"url": "digitalarchive.wilsoncenter.org/document/1"}},
            '"source.url" must be an absolute http(s) URL, not '
            "'digitalarchive.wilsoncenter.org/document/1'",
        ),
        ({"pages": "001.jpg"}, '"pages" must be a list, not a string'),
        (
            {"pages": [1]},
            '"pages[0]" must be a file name or an object {"image", "label"}, not a number',
        ),
        ({"pages": [{"label": "l. 1"}]}, '"pages[0].image" must be a non-empty string, not null'),
        (
            {"pages": [{"image": "1.jpg", "label": 1}]},
            '"pages[0].label" must be a non-empty string, not a number',
        ),
    ],
)
def test_json_validation_messages(fields, problem):
    data = {"reference": "A", "title": "T", **fields}
    (error,) = read_json_records(json.dumps(data))
    assert isinstance(error, ReaderError)
    assert str(error) == f"record 1 (line 1): {problem}"
    assert error.problems == (problem,)


def test_json_missing_required_fields_are_all_reported():
    (error,) = read_json_records('{"date": "1946"}')
    assert str(error) == (
        'record 1 (line 1): "reference" must be a non-empty string, not null; '
        '"title" must be a non-empty string, not null'
    )


def test_json_duplicate_field_is_an_error():
    (error,) = read_json_records('{"reference": "A", "title": "T", "title": "U"}')
    assert str(error) == 'record 1 (line 1): "title" is given more than once'


def test_json_unknown_fields_are_warnings():
    data = {
        "reference": "A",
        "title": "T",
        "colour": "red",
        "source": {"id": "1", "mirror": "x"},
        "pages": [{"image": "1.jpg", "rotation": 90}],
    }
    result = _one(json.dumps(data))
    assert result.warnings == (
        'unknown field "colour" ignored',
        'unknown field "source.mirror" ignored',
        'unknown field "pages[0].rotation" ignored',
    )


def test_json_hints_and_conversions_are_warnings():
    data = {
        "reference": "A",
        "title": "T",
        "creators": ["Gary Goldberg", "Leon Levy Foundation", "Plato"],
        "language": ["rus"],
        "rights": "",
    }
    result = _one(json.dumps(data))
    assert result.record.creators == ("Gary Goldberg", "Leon Levy Foundation", "Plato")
    assert result.record.language == ("ru",)
    assert result.warnings == (
        '"creators[0]" \'Gary Goldberg\' is not in "Surname, Forenames" form; kept as given '
        "(inverted it would read 'Goldberg, Gary')",
        "\"language[0]\" 'rus' stored as 'ru'",
        '"rights" is empty; ignored',
    )


def test_json_strips_xml_illegal_characters_with_a_warning():
    text = json.dumps(
        {
            "reference": "A\u0000",
            "title": "Bell\u0007 and \ud800half",
            "text": [{"kind": "transcription", "content": "x\ufffey\uffff\u000bz\tend"}],
        }
    )
    result = _one(text)
    assert result.record.citation == "A"
    assert result.record.title == "Bell and half"
    assert result.record.text[0].content == "xyz\tend"
    assert result.warnings == (
        '"reference": removed 1 character(s) that XML 1.0 forbids (U+0000)',
        '"title": removed 2 character(s) that XML 1.0 forbids (U+0007, U+D800)',
        '"text[0].content": removed 3 character(s) that XML 1.0 forbids (U+FFFE, U+FFFF, U+000B)',
    )


def test_json_strings_are_nfc_normalised():
    decomposed = "Mikl" + "o\u0301" + "s"
    record = _one(json.dumps({"reference": "A", "title": decomposed})).record
    assert record.title == "Miklós"
    assert len(record.title) == 6


def test_json_lines_keep_line_separator_characters_inside_strings():
    text = '{"reference": "A", "title": "one\u2028two"}\n{"reference": "B", "title": "x\\fy"}'
    first, second = read_json_records(text)
    assert first.record.title == "one\u2028two"
    assert second.record.title == "xy"
    assert second.warnings == ('"title": removed 1 character(s) that XML 1.0 forbids (U+000C)',)


def test_json_with_byte_order_mark_and_crlf_lines():
    text = '\ufeff{"reference": "A", "title": "one"}\r\n{"reference": "B", "title": "two"}\r\n'
    assert [r.record.citation for r in read_json_records(text)] == ["A", "B"]


def test_json_record_round_trips_through_the_store_form():
    record = _one(json.dumps(FULL)).record
    assert type(record).from_json(record.to_json()) == record


def test_validate_iso_date():
    assert validate_iso_date("1946-04-20") is None
    assert validate_iso_date("1946-4-20") == "'1946-4-20' is not YYYY, YYYY-MM or YYYY-MM-DD"
    assert validate_iso_date("1946-00") == "'1946-00' has no month 00"


# --------------------------------------------------- one bad input costs only itself (#15)

GOOD = '{"reference": "A", "title": "one"}'
GOOD_TOO = '{"reference": "B", "title": "two"}'
TOO_DEEP = "JSON nested more than 64 levels deep; a record is at most 3 levels deep"


def _shape(results) -> list[str]:
    return [r.record.title if isinstance(r, ReadResult) else str(r) for r in results]


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"reference": "\u0015"}, '"reference" must be a non-empty string, not only characters '),
        ({"title": " \u0007 "}, '"title" must be a non-empty string, not only characters'),
        ({"creators": ["\ufffe"]}, '"creators[0]" must be a non-empty string, not only'),
        ({"pages": [{"image": "\u0000"}]}, '"pages[0].image" must be a non-empty string, not'),
    ],
)
def test_json_required_strings_of_only_forbidden_characters_are_problems(fields, problem):
    (error,) = read_json_records(json.dumps({"reference": "A", "title": "T", **fields}))
    assert isinstance(error, ReaderError)
    assert error.problems[0].startswith(problem)
    assert "XML 1.0 forbids (U+" in error.problems[0]


def test_json_optional_strings_of_only_forbidden_characters_are_left_out():
    result = _one(json.dumps({"reference": "A", "title": "T", "rights": "\u0007"}))
    assert result.record.rights is None
    assert result.warnings == ('"rights": removed 1 character(s) that XML 1.0 forbids (U+0007)',)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000,
        "[" * 100_000 + "]" * 100_000,
        '{"reference": "A", "title": ' + "[" * 100_000 + "]" * 100_000 + "}",
        "{" + '"a": {' * 50_000,
    ],
)
def test_json_nested_too_deeply_is_one_error_not_a_crash(text):
    (error,) = read_json_records(text)
    assert isinstance(error, ReaderError)
    assert TOO_DEEP in str(error)


def test_json_array_with_a_deep_record_fails_only_that_record():
    deep = '{"reference": "C", "title": ' + "[" * 100_000 + "]" * 100_000 + "}"
    text = f'[{GOOD},\n{deep},\n 7, "x,]\\"[", {GOOD_TOO}]'
    assert _shape(read_json_records(text)) == [
        "one",
        f"record 2 (line 2): {TOO_DEEP}",
        "record 3 (line 3): must be a JSON object, not a number",
        "record 4 (line 3): must be a JSON object, not a string",
        "two",
    ]
    unclosed = f"[{GOOD},\n{GOOD_TOO},\n" + "[" * 100_000
    assert _shape(read_json_records(unclosed)) == ["one", "two", f"record 3 (line 3): {TOO_DEEP}"]
    broken = f'[{deep}, {{"a" 1}}]'  # past the deep record the input is not JSON at all
    (error,) = read_json_records(broken)
    assert str(error).startswith("malformed JSON at line 1, column ")


def test_json_lines_with_a_deep_line_fail_only_that_line():
    text = f"{GOOD}\n" + "[" * 100_000 + f"\n{GOOD_TOO}\n"
    assert _shape(read_json_records(text)) == ["one", f"record 2 (line 2): {TOO_DEEP}", "two"]


def test_json_lines_as_bytes_fail_a_line_that_is_not_utf8_alone():
    lines = [
        b"\xef\xbb\xbf" + GOOD.encode() + b"\n",
        b'{"title": "\xff"}\r\n',
        b"\n",
        GOOD_TOO.encode(),
    ]
    assert _shape(iter_json_lines(lines)) == [
        "one",
        "record 2 (line 2): not UTF-8: the line's byte 12 is 0xFF",
        "two",
    ]


def test_json_null_counts_as_left_out_for_type_and_types():
    assert _one(
        '{"reference": "A", "title": "T", "types": ["Letter"], "type": null}'
    ).record.types == ("Letter",)
    assert _one(
        '{"reference": "A", "title": "T", "types": null, "type": "Report"}'
    ).record.types == ("Report",)
    assert _one('{"reference": "A", "title": "T", "types": null, "type": null}').record.types == ()


def test_record_limits_name_the_field_the_size_and_the_setting():
    limits = Limits(max_list_items=2, max_pages=3, max_value_chars=5, max_description_chars=6)
    data = {
        "reference": "A",
        "title": "x" * 10_485_760,
        "description": ["short", "much too long"],
        "subjects": ["a", "b", "c"],
        "contributors": [{"name": "Ann", "role": "translator"}],
        "text": [{"kind": "translation", "content": "y" * 5_000_001}],
        "pages": ["1", "2", "3", "4"],
    }
    (error,) = read_json_records(json.dumps(data), limits=limits)
    assert error.problems == (
        "title is 10,485,760 characters; the limit is 2,000 (records.max_title_chars)",
        "description[1] is 13 characters; the limit is 6 (records.max_description_chars)",
        "contributors[0].role is 10 characters; the limit is 5 (records.max_value_chars)",
        "subjects has 3 entries; the limit is 2 (records.max_list_items)",
        "text[0].content is 5,000,001 characters; the limit is 5,000,000 (records.max_text_chars)",
        "pages has 4 page images; the limit is 3 (records.max_pages)",
    )
    assert str(error).startswith("record 1 (line 1): title is 10,485,760 characters;")
    assert record_problems(_one(json.dumps(FULL)).record) == []  # a full record is far inside


def test_every_reader_holds_its_record_to_the_limits():
    limits = Limits(max_title_chars=10)
    (error,) = read_json_records('{"reference": "A", "title": "Eleven char"}', limits=limits)
    assert error.problems == ("title is 11 characters; the limit is 10 (records.max_title_chars)",)
    (error,) = list(iter_json_lines(['{"reference": "A", "title": "Eleven char"}'], limits=limits))
    assert isinstance(error, ReaderError)
    page = "Skip to content\n\nMarch 3, 1950\n\nA title of some length\n\nThe body.\n"
    assert read_page_text(page).record.title == "A title of some length"
    with pytest.raises(ReaderError, match=r"^title is 22 characters; the limit is 10 \(records"):
        read_page_text(page, limits=limits)
    dc = (
        '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title>'
        "<dc:identifier>GAPPOD, f.1, op.89, d.112</dc:identifier></oai_dc:dc>"
    )
    source = Source("oai:example.org:1")
    assert read_oai_record(dc.format("Letter"), "oai_dc", source=source).record.title == "Letter"
    with pytest.raises(ReaderError, match=r"^title is 2,001 characters; the limit is 2,000"):
        read_oai_record(dc.format("x" * 2_001), "oai_dc", source=source)


_ANY_TEXT = st.text(
    st.characters(codec="utf-8") | st.sampled_from(["\x00", "\x15", "\ufffe", "\u2028", "\ud800"]),
    max_size=30,
)
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_ANY_TEXT, inner, max_size=4),
    max_leaves=15,
)
_RECORD_FIELDS = st.dictionaries(st.sampled_from(FIELDS), _ANY_JSON, max_size=6)


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(
    records=st.lists(_RECORD_FIELDS | _ANY_JSON, max_size=4),
    layout=st.sampled_from(["array", "lines", "one"]),
    noise=st.sampled_from(["", "[" * 3000, "{" * 3000, "\ufeff", "\n\n", "]"]),
    limits=st.builds(Limits, max_title_chars=st.integers(1, 40), max_list_items=st.integers(0, 3)),
)
def test_json_reader_answers_every_input_without_raising(records, layout, noise, limits):
    items = [json.dumps(r, ensure_ascii=False) for r in records]
    text = {"array": "[" + ",\n".join(items) + "]", "lines": "\n".join(items)}.get(
        layout, items[0] if items else ""
    )
    for given_text in (text, noise + text, text + noise, noise):
        results = read_json_records(given_text, limits=limits)
        assert all(isinstance(r, ReadResult | ReaderError) for r in results)
        for result in results:
            if isinstance(result, ReadResult):
                assert record_problems(result.record, limits) == []
    lines = [line.encode("utf-8", "surrogatepass") for line in text.split("\n")]
    assert all(isinstance(r, ReadResult | ReaderError) for r in iter_json_lines(lines))
