"""Reading harvested OAI-PMH metadata (oai_dc, marc21, mods) into records.

Opis's own output must come back whole, other catalogues' usual shapes must be read,
a record without an archival reference is refused with the places searched, and XML
with a DOCTYPE or entities is refused before anything in it is processed.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace

import pytest
from lxml import etree

from metadata.readers.oai_map import FieldMap, FieldMapError
from metadata.readers.oai_xml import read_oai_record
from metadata.readers.result import ReaderError
from metadata.record import Agent, Record, Source, Text
from repository.keys import STORE
from tests.live import LiveServer, ingest, make_settings
from tests.oai_client import call

SOURCE = Source("oai:provider.example.org:42", "https://provider.example.org/oai?verb=GetRecord")
DC_HEAD = (
    '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/">'
)
MARC_HEAD = '<record xmlns="http://www.loc.gov/MARC21/slim">'
MODS_HEAD = '<mods xmlns="http://www.loc.gov/mods/v3" version="3.7">'

RICH = {
    "reference": "GAPPOD, f.1, op.89, d.112, ll. 9-15; RGASPI, f. 17, op. 3, d. 5",
    "title": "The letter from Bagirov to Stalin",
    "date": "1946-04-17/1946-04-20",
    "description": [{"value": "A letter about Qavam.", "language": "en"}, "Письмо."],
    "creators": ["Bagirov, M. D.", "Central Committee of the CPSU"],
    "contributors": [
        {"name": "Hasanli, Jamil", "role": "obtained by"},
        {"name": "Goldberg, Gary", "role": "translator"},
        {"name": "Doe, Jane"},
    ],
    "language": ["ru", "en"],
    "subjects": ["Iran -- Foreign relations", "Oil"],
    "places": ["Baku", "Tabriz"],
    "collections": ["Iran-Azerbaijan Crisis of 1946"],
    "types": ["Letter"],
    "publisher": "Wilson Center Digital Archive",
    "rights": "Reuse welcome for research.",
    "funders": ["Carnegie Corporation of New York"],
    "text": [{"language": "en", "kind": "translation", "content": "To Cde. Stalin ..."}],
    "source": {"id": "120502", "url": "https://digitalarchive.example.org/document/120502"},
}


def dc(*elements: str) -> str:
    return DC_HEAD + "".join(elements) + "</oai_dc:dc>"


def read(xml: str | bytes, prefix: str = "oai_dc", **kwargs) -> Record:
    return read_oai_record(xml, prefix, source=SOURCE, **kwargs).record


# ---------------------------------------------------------------- Opis's own output


@pytest.fixture(scope="module")
def opis_record(tmp_path_factory):
    """A rich record ingested into a live Opis, and its stored form."""
    folder = tmp_path_factory.mktemp("opis")
    settings = make_settings(f"sqlite:///{folder}/opis.db", folder / "data")
    path = folder / "rich.json"
    path.write_text(json.dumps(RICH, ensure_ascii=False), encoding="utf-8")
    report = ingest(settings, [path])
    (entry,) = report.entries
    with LiveServer(settings) as server:
        stored = server.call(server.app[STORE].get(entry.key)).record
        identifier = f"oai:{settings.repository.identifier}:{entry.key}"
        payloads = {}
        for prefix in ("oai_dc", "marc21", "mods"):
            reply = call(
                server.url("/oai"),
                {"verb": "GetRecord", "identifier": identifier, "metadataPrefix": prefix},
            )
            metadata = reply.find("oai:GetRecord/oai:record/oai:metadata")
            payloads[prefix] = etree.tostring(metadata[0])
    return stored, payloads, settings


def _expected(stored: Record, prefix: str, repository: str) -> Record:
    """What each format can carry of the stored record (the losses are the format's)."""
    expected = replace(stored, key=None, text=(), source=SOURCE)
    expected = replace(expected, publisher=stored.publisher or repository)
    if prefix == "oai_dc":  # plain names, no roles
        expected = replace(expected, contributors=tuple(Agent(a.name) for a in stored.contributors))
    else:  # roles as MARC relator terms
        expected = replace(
            expected,
            contributors=tuple(
                Agent(a.name, "collector" if a.role == "obtained by" else a.role)
                for a in stored.contributors
            ),
        )
    if prefix == "marc21":  # MARC says nothing about the language of titles and notes
        expected = replace(
            expected,
            title_language=None,
            description=tuple(Text(t.value) for t in stored.description),
        )
    return expected


@pytest.mark.parametrize("prefix", ["oai_dc", "marc21", "mods"])
def test_opis_output_reads_back_whole(opis_record, prefix):
    stored, payloads, settings = opis_record
    result = read_oai_record(payloads[prefix], prefix, source=SOURCE)
    assert result.warnings == ()
    assert result.record == _expected(stored, prefix, settings.repository.name)
    assert len(result.record.alternates) == 1  # the copy in RGASPI
    assert result.record.reference.pages == "9-15"


# ---------------------------------------------------------------- other catalogues


def test_dublin_core_as_dspace_writes_it():
    record = read(
        dc(
            "<dc:title>Report on grain deliveries</dc:title>",
            "<dc:creator>Petrov, N. S.</dc:creator>",
            "<dc:date>1952-03-01T00:00:00Z</dc:date>",
            "<dc:identifier>http://hdl.handle.net/123/456</dc:identifier>",
            "<dc:identifier>RGASPI, f. 17, op. 3, d. 5, l. 12</dc:identifier>",
            "<dc:language>Russian</dc:language>",
            "<dc:language>rus</dc:language>",
            "<dc:type>Text</dc:type>",
            "<dc:type>Report</dc:type>",
            '<dc:description xml:lang="en">Deliveries by region.</dc:description>',
        )
    )
    assert record.citation == "RGASPI, f. 17, op. 3, d. 5, l. 12"
    assert record.reference.archive == "RGASPI" and record.reference.pages == "12"
    assert record.date == "1952-03-01"
    assert record.language == ("ru",)
    assert record.types == ("Report",)
    assert record.description == (Text("Deliveries by region.", "en"),)
    assert record.title_language is None
    assert record.source == SOURCE


def test_the_reference_is_searched_in_source_identifier_relation_order():
    prose = "<dc:source>Collected papers, vol. 2</dc:source>"
    relation = "<dc:relation>APRF, f. 3, op. 1, d. 9</dc:relation>"
    identifier = "<dc:identifier>GARF, f. R-5446, op. 1, d. 2</dc:identifier>"
    assert read(dc("<dc:title>t</dc:title>", prose, relation)).reference.archive == "APRF"
    record = read(dc("<dc:title>t</dc:title>", prose, relation, identifier))
    assert record.reference.archive == "GARF"
    assert [r.archive for r in record.alternates] == ["APRF"]  # relations: copies elsewhere
    source = "<dc:source>TNA, FO 371/12345</dc:source>"
    assert read(dc("<dc:title>t</dc:title>", identifier, source)).reference.archive == "TNA"


@pytest.mark.parametrize(
    ("prefix", "xml", "where"),
    [
        (
            "oai_dc",
            dc(
                "<dc:title>No citation</dc:title>",
                "<dc:source>f. 1, op. 2, d. 3</dc:source>",  # no archive: does not count
                "<dc:identifier>oai:x.org:GAPPOD/f.1/op.89/d.112</dc:identifier>",  # a URI
                "<dc:relation>https://x.org/records/GAPPOD/f.1/op.89/d.112</dc:relation>",
            ),
            "dc:source, dc:identifier or dc:relation",
        ),
        (
            "marc21",
            MARC_HEAD + '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">t'
            "</subfield></datafield></record>",
            "MARC 524 $a, 852 $j or $h, or 773 $o",
        ),
        (
            "mods",
            MODS_HEAD + "<titleInfo><title>t</title></titleInfo></mods>",
            "MODS note type=preferred citation, location/shelfLocator or identifier",
        ),
    ],
)
def test_a_record_without_a_reference_is_read_with_none_invented(prefix, xml, where):
    """A library's record has no archival citation: it is read, with no reference made up
    (the harvester keys it from its identifier), and the warning says where Opis looked."""
    result = read_oai_record(xml, prefix, source=SOURCE)
    assert result.record.reference is None and result.record.citation is None
    assert result.record.alternates == ()
    assert f"no archival reference found in {where}" in result.warnings


def test_an_archive_inferred_from_the_citation_style_is_a_warning():
    result = read_oai_record(
        dc("<dc:title>t</dc:title><dc:source>FO 371/12345</dc:source>"), "oai_dc", source=SOURCE
    )
    assert result.record.reference.archive == "TNA"
    assert "inferred" in result.warnings[0]


def test_marc_from_a_library_catalogue():
    xml = (
        MARC_HEAD
        + '<controlfield tag="008">850101s1946    xx            000 0 rus d</controlfield>'
        + '<datafield tag="041" ind1="0" ind2=" "><subfield code="a">rus</subfield></datafield>'
        + '<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Bagirov, M. D.,</subfield>'
        + "</datafield>"
        + '<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Letter to Stalin</subfield>'
        + "</datafield>"
        + '<datafield tag="650" ind1=" " ind2="0"><subfield code="a">Iran</subfield>'
        + '<subfield code="x">Foreign relations.</subfield></datafield>'
        + '<datafield tag="700" ind1="1" ind2=" "><subfield code="a">Goldberg, Gary</subfield>'
        + '<subfield code="e">translator.</subfield></datafield>'
        + '<datafield tag="852" ind1=" " ind2=" "><subfield code="j">GAPPOD, f.1, op.89, d.112'
        + "</subfield></datafield></record>"
    )
    record = read(xml, "marc21")
    assert record.title == "Letter to Stalin"
    assert record.creators == ("Bagirov, M. D.",)
    assert record.contributors == (Agent("Goldberg, Gary", "translator"),)
    assert record.date == "1946"  # 008/07-10, nothing better given
    assert record.language == ("ru",)
    assert record.subjects == ("Iran -- Foreign relations",)
    assert record.citation == "GAPPOD, f.1, op.89, d.112"


def test_mods_from_a_digital_library():
    xml = (
        MODS_HEAD
        + '<titleInfo lang="rus"><nonSort>The</nonSort><title>telegram</title></titleInfo>'
        + '<name type="personal"><namePart type="family">Molotov</namePart>'
        + '<namePart type="given">V. M.</namePart><role><roleTerm type="text">author</roleTerm>'
        + "</role></name>"
        + '<originInfo><dateIssued encoding="w3cdtf">1946-04</dateIssued>'
        + "<publisher>Archive Press</publisher></originInfo>"
        + "<location><shelfLocator>AVPRF, f. 06, op. 8, pap. 45, d. 759</shelfLocator></location>"
        + "</mods>"
    )
    record = read(xml, "mods")
    assert record.title == "The telegram" and record.title_language == "ru"
    assert record.creators == ("Molotov, V. M.",)
    assert record.date == "1946-04"
    assert record.publisher == "Archive Press"
    assert record.reference.archive == "AVPRF"


@pytest.mark.parametrize(
    ("value", "date", "warned"),
    [
        ("1946-04-20", "1946-04-20", False),
        ("1946-04-20T10:00:00Z", "1946-04-20", False),
        ("April 20, 1946", "1946-04-20", False),
        ("1946 April 17-1946 April 20", "1946-04-17/1946-04-20", False),
        ("circa 1946", None, True),
    ],
)
def test_dates_as_providers_write_them(value, date, warned):
    xml = dc("<dc:title>t</dc:title><dc:source>GAPPOD f.1 op.89 d.112</dc:source>")
    result = read_oai_record(
        xml.replace("</oai_dc:dc>", f"<dc:date>{value}</dc:date></oai_dc:dc>"),
        "oai_dc",
        source=SOURCE,
    )
    assert result.record.date == date
    assert bool(result.warnings) is warned


def test_no_title_gets_the_devised_title_with_a_warning():
    result = read_oai_record(
        dc("<dc:source>GAPPOD f.1 op.89 d.112</dc:source>"), "oai_dc", source=SOURCE
    )
    assert result.record.title == "[Untitled]"
    assert "devised title" in result.warnings[0]


# ---------------------------------------------------------------- hostile XML

_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


@pytest.mark.parametrize(
    ("xml", "says"),
    [
        (
            '<!DOCTYPE oai_dc:dc [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            + dc("<dc:title>&xxe;</dc:title><dc:source>GAPPOD f.1 op.89 d.112</dc:source>"),
            "DOCTYPE",
        ),
        (
            _LAUGHS
            + dc("<dc:title>&lol9;</dc:title><dc:source>GAPPOD f.1 op.89 d.112</dc:source>"),
            "DOCTYPE",
        ),
        (
            '<!DOCTYPE oai_dc:dc SYSTEM "http://127.0.0.1:9/evil.dtd">'
            + dc("<dc:title>t</dc:title><dc:source>GAPPOD f.1 op.89 d.112</dc:source>"),
            "DOCTYPE",
        ),
        (
            dc("<dc:title>&xxe;</dc:title><dc:source>GAPPOD f.1 op.89 d.112</dc:source>"),
            "entity reference",
        ),
    ],
    ids=["external-entity", "entity-expansion", "external-dtd", "undeclared-entity"],
)
def test_doctype_and_entities_are_refused_never_expanded(xml, says):
    started = time.monotonic()
    with pytest.raises(ReaderError) as caught:
        read(xml)
    assert time.monotonic() - started < 1
    message = str(caught.value)
    assert message.startswith("refused:") and says in message
    assert "never" in message and "root:" not in message  # /etc/passwd was never read


def test_malformed_and_foreign_xml_are_clear_errors():
    with pytest.raises(ReaderError, match="not well-formed XML"):
        read("<oai_dc:dc")
    with pytest.raises(ReaderError, match="not mods metadata: the root element is"):
        read(dc("<dc:title>t</dc:title>"), "mods")
    with pytest.raises(ReaderError, match="not one Opis reads"):
        read(dc("<dc:title>t</dc:title>"), "ead")


# ---------------------------------------------------------------- the field map

CALL_NUMBER = dc(
    "<dc:title>Minutes</dc:title>",
    "<dc:title>Alternative title</dc:title>",
    "<dc:description>Call number: RGANI, f. 5, op. 30, d. 7</dc:description>",
    "<dc:description>Minutes of a meeting.</dc:description>",
    "<dc:source>GAPPOD f.1 op.89 d.112</dc:source>",
)


def test_a_toml_map_points_the_reference_elsewhere_first():
    field_map = FieldMap.from_text(
        '[[reference]]\npath = "dc:description"\npattern = "^Call number: (.+)$"\n'
    )
    record = read(CALL_NUMBER, field_map=field_map)
    assert record.citation == "RGANI, f. 5, op. 30, d. 7"
    # everything else as without a map
    assert [t.value for t in record.description] == [
        "Call number: RGANI, f. 5, op. 30, d. 7",
        "Minutes of a meeting.",
    ]


def test_a_json_map_replaces_the_fields_it_names():
    field_map = FieldMap.from_text(
        json.dumps({"title": "dc:title", "subjects": ["dc:title"], "reference": "dc:source"})
    )
    record = read(CALL_NUMBER, field_map=field_map)
    assert record.title == "Minutes"
    assert record.subjects == ("Minutes", "Alternative title")
    assert record.citation == "GAPPOD f.1 op.89 d.112"


def test_map_paths_reach_marc_subfields_and_mods_attributes():
    marc = (
        MARC_HEAD
        + '<datafield tag="245" ind1="0" ind2="0"><subfield code="a">t</subfield></datafield>'
        + '<datafield tag="099" ind1=" " ind2=" "><subfield code="a">RGASPI 17-3-5</subfield>'
        + '<subfield code="b">RGASPI, f. 17, op. 3, d. 5</subfield></datafield></record>'
    )
    assert read(marc, "marc21", field_map=FieldMap.from_text('reference = "099$b"')).citation == (
        "RGASPI, f. 17, op. 3, d. 5"
    )
    mods = (
        MODS_HEAD
        + "<titleInfo><title>t</title></titleInfo>"
        + '<relatedItem type="host"><identifier type="callnumber">APRF, f. 3, op. 1, d. 9'
        + '</identifier><identifier type="uri">https://x.org/1</identifier></relatedItem></mods>'
    )
    field_map = FieldMap.from_text('reference = "relatedItem/identifier[@type=callnumber]"')
    assert read(mods, "mods", field_map=field_map).reference.archive == "APRF"


def test_without_a_match_the_map_says_where_it_looked():
    field_map = FieldMap.from_text('reference = "dc:coverage"')
    result = read_oai_record(
        dc("<dc:title>t</dc:title>"), "oai_dc", source=SOURCE, field_map=field_map
    )
    assert result.record.reference is None
    assert any("in the places the map names, dc:source" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('shelfmark = "dc:source"', "unknown field 'shelfmark'"),
        ('reference = "dc:source[type=x]"', "neither a name nor name[@attribute=value]"),
        ('reference = {path = "dc:source", pattern = "("}', "not a regular expression"),
        ('reference = {path = "dc:source", group = 1}', "unknown key 'group'"),
        ("reference = 3", "each entry is a path"),
        ("reference = [", "neither a JSON object nor TOML"),
    ],
)
def test_a_bad_map_names_the_entry_and_the_problem(text, says):
    with pytest.raises(FieldMapError) as caught:
        FieldMap.from_text(text, "provider.toml")
    assert str(caught.value).startswith("provider.toml") and says in str(caught.value)


def test_namespaces_are_read_not_assumed():
    """A prefix other than ``dc`` for Dublin Core is the same element."""
    xml = (
        '<o:dc xmlns:o="http://www.openarchives.org/OAI/2.0/oai_dc/" '
        'xmlns:d="http://purl.org/dc/elements/1.1/"><d:title>t</d:title>'
        "<d:source>GAPPOD f.1 op.89 d.112</d:source></o:dc>"
    )
    assert read(xml).citation == "GAPPOD f.1 op.89 d.112"
