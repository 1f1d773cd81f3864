"""Crosswalks: every payload is schema-valid alone and inside an OAI-PMH response, links and
the archival reference sit where docs/crosswalks.md says, bad characters never break a
page, Cyrillic stays raw UTF-8, and output is deterministic and pinned to VERSION.

Run alone: ``python -m tests.metadata.test_crosswalks`` prints the seed letter in each format
(the examples in docs/crosswalks.md).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from metadata import languages
from metadata.crosswalks import FORMATS, VERSION, CrosswalkContext
from metadata.record import Agent, Page, Record, Reference, Source, Text, TextBody
from metadata.xmlchars import clean, is_clean
from tests.xmlschemas import SCHEMA_DIR, validate_oai_response, validate_payload

ROOT = Path(__file__).resolve().parents[2]
NS = {
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "marc": "http://www.loc.gov/MARC21/slim",
    "mods": "http://www.loc.gov/mods/v3",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "ead": "urn:isbn:1-931666-22-9",
    "xlink": "http://www.w3.org/1999/xlink",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "edm": "http://www.europeana.eu/schemas/edm/",
    "ore": "http://www.openarchives.org/ore/terms/",
    "dcterms": "http://purl.org/dc/terms/",
    "svcs": "http://rdfs.org/sioc/services#",
}
XSI_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"

RECORD_URL = "https://opis.example.org/records/GAPPOD/f.1/op.89/d.112"
MANIFEST_URL = "https://opis.example.org/iiif/3/GAPPOD/f.1/op.89/d.112/manifest"
OAI_ID = "oai:opis.example.org:GAPPOD/f.1/op.89/d.112"
CANONICAL = "GAPPOD f.1 op.89 d.112"
ARCHIVE = "Azerbaijan State Archive of Political Parties and Social Movements"
FULL_TEXT = "Товарищу Сталину. Товарищу Молотову. Пишевари и наши люди из Тебриза сообщают"
CYRILLIC_TITLE = "Протокол № 12 заседания бюро ЦК КП(б) Азербайджана — ВКП(б)"

RICH = Record(
    title=CYRILLIC_TITLE,
    title_language="ru",
    citation="ГАППОД, ф. 1, оп. 89, д. 112, лл. 9-15",
    reference=Reference("GAPPOD", (("f", "1"), ("op", "89"), ("d", "112")), "9-15"),
    alternates=(Reference("RGASPI", (("f", "17"), ("op", "128"), ("d", "1")), None),),
    key="GAPPOD/f.1/op.89/d.112",
    date="1946-04-17/1946-04-20",
    description=(
        Text("A letter about Qavam delaying talks with the Iranian Azerbaijani government.", "en"),
        Text("Письмо о задержке переговоров Кавамом.", "ru"),
    ),
    creators=("Bagirov, M. D.", "Maslennikov, I. I.", "CC CP(b) of Azerbaijan"),
    contributors=(
        Agent("Hasanli, Jamil", "obtained for CWIHP by"),
        Agent("Goldberg, Gary", "translator"),
        Agent("Ostermann, Christian F.", "editor"),
        Agent("Kupryazhina", "duty officer"),
        Agent("Korshunova"),
    ),
    language=("ru", "en", "az"),
    subjects=("Iran-Azerbaijan Crisis of 1946", "Soviet Union--Foreign relations--Iran"),
    places=("Iranian Azerbaijan", "Тебриз"),
    collections=("Iran-Azerbaijan Crisis of 1946",),
    types=("Letter", "Telegram"),
    publisher="History and Public Policy Program Digital Archive",
    rights="Reuse for research and educational purposes is welcome.",
    funders=("MacArthur Foundation", "Henry Luce Foundation"),
    text=(
        TextBody(FULL_TEXT, "ru", "transcription"),
        TextBody("To Cde. Stalin. To Cde. Molotov.", "en", "translation"),
    ),
    source=Source("120502", "https://digitalarchive.example.org/document/120502"),
    pages=(Page("a1.jpg", "l. 9"), Page("a2.jpg", "l. 10"), Page("a3.jpg", "l. 10ob")),
)
RICH_CONTEXT = CrosswalkContext(
    oai_identifier=OAI_ID,
    record_url=RECORD_URL,
    manifest_url=MANIFEST_URL,
    repository_name="Opis",
    reference_canonical=CANONICAL,
    archive_code="GAPPOD",
    archive_name=ARCHIVE,
    hierarchy=(("Fond", "1"), ("Opis", "89"), ("Delo", "112")),
    sheets="9-15",
    alternates=("RGASPI f.17 op.128 d.1",),
    collection_urls=("https://opis.example.org/collections/iran-crisis",),
)
MINIMAL = Record(title="Untitled note")
MINIMAL_CONTEXT = CrosswalkContext(
    oai_identifier="oai:opis.example.org:UNCITED/doc.abc123",
    record_url="https://opis.example.org/records/UNCITED/doc.abc123",
    manifest_url=None,
    repository_name="Opis",
    reference_canonical=None,
    archive_code=None,
    archive_name=None,
)
CASES = {"rich": (RICH, RICH_CONTEXT), "minimal": (MINIMAL, MINIMAL_CONTEXT)}

# The seed letter, as in docs/crosswalks.md (metadata only; the rights text is shortened).
SEED = Record(
    title=(
        "Letter from Bagirov to Stalin and Molotov about Qavam delaying talks with the "
        "Iranian Azerbaijani government"
    ),
    citation="GAPPOD, f.1, op.89, d.112",
    reference=Reference("GAPPOD", (("f", "1"), ("op", "89"), ("d", "112"))),
    date="1946-04-20",
    description=(
        Text(
            "A letter from Bagirov to Stalin and Molotov about Qavam delaying talks with the "
            "Iranian Azerbaijani government and the presence of offensive Iranian troops.",
            "en",
        ),
    ),
    creators=("Bagirov, M. D.", "Maslennikov, I. I."),
    contributors=(Agent("Hasanli, Jamil", "obtained by"), Agent("Goldberg, Gary", "translator")),
    language=("ru", "en"),
    subjects=("Iran-Azerbaijan Crisis of 1946",),
    places=("Iranian Azerbaijan",),
    types=("Letter",),
    publisher="History and Public Policy Program Digital Archive",
    rights=(
        "The History and Public Policy Program welcomes reuse of Digital Archive materials "
        "for research and educational purposes."
    ),
    text=(TextBody("To Cde. Stalin ...", "en", "translation"),),
    pages=(Page("0001.jpg"), Page("0002.jpg")),
)
SEED_CONTEXT = CrosswalkContext(
    oai_identifier=OAI_ID,
    record_url=RECORD_URL,
    manifest_url=MANIFEST_URL,
    repository_name="Opis",
    reference_canonical=CANONICAL,
    archive_code="GAPPOD",
    archive_name=ARCHIVE,
    hierarchy=(("Fond", "1"), ("Opis", "89"), ("Delo", "112")),
)

# sha256 over every format's output for RICH, MINIMAL and SEED, per VERSION. When output
# changes on purpose: bump VERSION in metadata/crosswalks/__init__.py, then add its hash.
FINGERPRINTS = {
    "1": "c531604e176d20c73a7a32db88599bf529215de287645a5eac39e14b569592b4",
    "2": "b67315b4d3eebcff8c8239dd534d8b7261170dddaa0dfd906bfd25c1a9d0b7e6",
}


def render(prefix: str, case: str) -> bytes:
    record, context = CASES[case]
    return FORMATS[prefix].crosswalk(record, context)


def tree(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(no_network=True))


def xpath(data: bytes, path: str) -> list[str]:
    """Text results of ``path`` (strings for attributes/text(), element text otherwise)."""
    found = tree(data).xpath(path, namespaces=NS)
    return [item if isinstance(item, str) else (item.text or "") for item in found]


def get_record(prefix: str, payload: bytes, identifier: str = OAI_ID) -> bytes:
    """A minimal GetRecord response with ``payload`` pasted in as bytes, as a server would."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
        b'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
        b"<responseDate>2024-05-01T12:00:00Z</responseDate>"
        b'<request verb="GetRecord" identifier="' + identifier.encode() + b'" '
        b'metadataPrefix="' + prefix.encode() + b'">https://opis.example.org/oai</request>'
        b"<GetRecord><record><header><identifier>" + identifier.encode() + b"</identifier>"
        b"<datestamp>2024-04-30T09:15:00Z</datestamp><setSpec>GAPPOD</setSpec></header>"
        b"<metadata>" + payload + b"</metadata></record></GetRecord></OAI-PMH>"
    )


ALL = [(prefix, case) for prefix in FORMATS for case in CASES]


# ------------------------------------------------------------------ registry


def test_formats_are_announced_in_order_with_their_namespaces_and_schemas():
    assert list(FORMATS) == ["oai_dc", "marc21", "mods", "oai_ead", "edm", "oai_dcterms"]
    expected = {
        "oai_dcterms": ("urn:opis:oai_dcterms", "/schemas/oai_dcterms.xsd"),
        "oai_ead": (NS["ead"], "http://www.loc.gov/ead/ead.xsd"),
        "edm": (NS["edm"], "http://www.europeana.eu/schemas/edm/EDM.xsd"),
        "oai_dc": (NS["oai_dc"], "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"),
        "marc21": (NS["marc"], "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"),
        "mods": (NS["mods"], "http://www.loc.gov/standards/mods/v3/mods-3-7.xsd"),
    }
    for prefix, fmt in FORMATS.items():
        assert fmt.prefix == prefix
        assert (fmt.namespace, fmt.schema) == expected[prefix]
    assert isinstance(VERSION, str) and VERSION


# ------------------------------------------------------------------ validity


@pytest.mark.parametrize(("prefix", "case"), ALL)
def test_payload_validates_against_its_schema(prefix, case):
    validate_payload(prefix, render(prefix, case))


@pytest.mark.parametrize(("prefix", "case"), ALL)
def test_payload_validates_inside_an_oai_getrecord_response(prefix, case):
    validate_oai_response(get_record(prefix, render(prefix, case)))


@pytest.mark.parametrize(("prefix", "case"), ALL)
def test_root_is_self_contained_without_xml_declaration(prefix, case):
    data = render(prefix, case)
    assert not data.startswith(b"<?xml")
    root = tree(data)
    fmt = FORMATS[prefix]
    # EDM's payload is an RDF/XML document (rdf:RDF), announced with the EDM namespace
    expected = NS["rdf"] if prefix == "edm" else fmt.namespace
    assert etree.QName(root).namespace == expected
    # oai_dcterms' schema is served by Opis itself: the payload names it absolutely
    schema = "https://opis.example.org" + fmt.schema if fmt.schema.startswith("/") else fmt.schema
    assert root.get(XSI_LOCATION) == f"{fmt.namespace} {schema}"
    assert b"\n" not in data  # compact: no pretty-print whitespace


def test_oai_dc_schema_location_pairs_namespace_with_its_schema():
    root = tree(render("oai_dc", "rich"))
    assert root.get(XSI_LOCATION) == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )


# ------------------------------------------------------------------ identifiers and links


def test_oai_dc_identifiers_sources_and_relations():
    data = render("oai_dc", "rich")
    assert xpath(data, "dc:identifier") == [RECORD_URL, MANIFEST_URL]
    sources = xpath(data, "dc:source")
    assert sources[:3] == [RICH.citation, CANONICAL, ARCHIVE]
    assert "RGASPI f.17 op.128 d.1" in xpath(data, "dc:relation")
    assert "Iran-Azerbaijan Crisis of 1946" in xpath(data, "dc:relation")
    assert xpath(data, "dc:language") == ["ru", "en", "az"]
    assert xpath(data, "dc:type") == ["Text", "Letter", "Telegram"]
    assert xpath(data, "dc:date") == ["1946-04-17/1946-04-20"]
    assert xpath(data, "dc:title/@xml:lang") == ["ru"]
    assert xpath(data, "dc:contributor")[:2] == ["Hasanli, Jamil", "Goldberg, Gary"]


def test_marc_location_citation_links_and_identifier():
    data = render("marc21", "rich")
    field = "marc:datafield[@tag='{}']/marc:subfield[@code='{}']"
    assert xpath(data, field.format("852", "a")) == [ARCHIVE]
    assert xpath(data, field.format("852", "j")) == [CANONICAL]
    assert xpath(data, "marc:datafield[@tag='852']/@ind1") == ["4"]
    assert xpath(data, field.format("524", "a")) == [RICH.citation]
    assert xpath(data, field.format("773", "o")) == [CANONICAL]
    assert xpath(data, field.format("773", "t")) == ["Fond 1, Opis 89, Delo 112"]
    assert xpath(data, field.format("535", "a")) == ["RGASPI f.17 op.128 d.1"]
    link = "marc:datafield[@tag='856'][marc:subfield[@code='3']='{}']/marc:subfield[@code='{}']"
    assert xpath(data, link.format("Record page", "u")) == [RECORD_URL]
    assert xpath(data, link.format("IIIF manifest", "u")) == [MANIFEST_URL]
    assert xpath(data, link.format("IIIF manifest", "q")) == ["application/ld+json"]
    assert xpath(data, "marc:controlfield[@tag='001']") == [OAI_ID]
    assert xpath(data, field.format("024", "a")) == [OAI_ID]
    assert xpath(data, field.format("024", "2")) == ["uri"]


def test_mods_location_identifier_hierarchy_and_record_info():
    data = render("mods", "rich")
    assert xpath(data, "mods:location/mods:shelfLocator") == [CANONICAL]
    assert xpath(data, "mods:location/mods:physicalLocation") == [ARCHIVE]
    assert xpath(data, "mods:location/mods:url[@usage='primary display']") == [RECORD_URL]
    assert xpath(data, "mods:location/mods:url[@displayLabel='IIIF manifest']") == [MANIFEST_URL]
    assert xpath(data, "mods:identifier[@type='local']") == [CANONICAL]
    host = "mods:relatedItem[@type='host'][@displayLabel='Delo']"
    assert xpath(data, f"{host}/mods:titleInfo/mods:title") == ["Delo 112"]
    assert xpath(data, f"{host}/mods:part/mods:extent[@unit='leaves']/mods:list") == ["9-15"]
    chain = f"{host}/mods:relatedItem[@type='host']/mods:relatedItem[@type='host']"
    assert xpath(data, f"{chain}/mods:titleInfo/mods:title") == ["Fond 1"]
    assert xpath(data, f"{chain}/mods:location/mods:physicalLocation") == [ARCHIVE]
    copy = "mods:relatedItem[@type='otherVersion'][@displayLabel='Copy']/mods:identifier"
    assert xpath(data, copy) == ["RGASPI f.17 op.128 d.1"]
    assert xpath(data, "mods:note[@type='preferred citation']") == [RICH.citation]
    assert xpath(data, "mods:recordInfo/mods:recordIdentifier") == [OAI_ID]
    assert xpath(data, "mods:accessCondition[@type='use and reproduction']") == [RICH.rights]


def test_minimal_record_has_record_url_but_no_reference_or_manifest():
    dc = render("oai_dc", "minimal")
    assert xpath(dc, "dc:identifier") == [MINIMAL_CONTEXT.record_url]
    assert xpath(dc, "dc:source") == []
    assert xpath(dc, "dc:title") == ["Untitled note"]
    marc = render("marc21", "minimal")
    assert xpath(marc, "marc:datafield[@tag='852' or @tag='773' or @tag='524']") == []
    assert xpath(marc, "marc:datafield[@tag='856']/marc:subfield[@code='u']") == [
        MINIMAL_CONTEXT.record_url
    ]
    assert xpath(marc, "marc:leader")[0][7] == "m"  # no archival host: not a subunit
    assert xpath(marc, "marc:datafield[@tag='245']/@ind1") == ["0"]  # no 1XX main entry
    mods = render("mods", "minimal")
    assert xpath(mods, "mods:location/mods:shelfLocator") == []
    assert xpath(mods, "mods:location/mods:url") == [MINIMAL_CONTEXT.record_url]
    assert xpath(mods, "mods:relatedItem") == []


# ------------------------------------------------------------------ names, dates, languages


def test_marc_names_roles_and_relator_codes():
    data = render("marc21", "rich")
    assert xpath(data, "marc:datafield[@tag='100']/marc:subfield[@code='a']") == ["Bagirov, M. D."]
    assert xpath(data, "marc:datafield[@tag='100']/marc:subfield[@code='4']") == ["aut"]

    def code_of(name: str) -> list[str]:
        path = "marc:datafield[marc:subfield[@code='a']='{}']/marc:subfield[@code='{}']"
        return xpath(data, path.format(name, "4")) or xpath(data, path.format(name, "e"))

    assert code_of("Goldberg, Gary") == ["trl"]
    assert code_of("Ostermann, Christian F.") == ["edt"]
    assert code_of("Hasanli, Jamil") == ["col"]
    assert code_of("Korshunova") == ["ctb"]
    assert code_of("Kupryazhina") == ["duty officer"]  # unknown role: wording kept, no code
    assert xpath(data, "marc:datafield[@tag='710']/marc:subfield[@code='a']") == [
        "CC CP(b) of Azerbaijan"
    ]


def test_mods_names_carry_marcrelator_terms_and_codes():
    data = render("mods", "rich")
    term = "mods:name[mods:namePart='{}']/mods:role/mods:roleTerm[@type='{}']"
    assert xpath(data, term.format("Goldberg, Gary", "code")) == ["trl"]
    assert xpath(data, term.format("Goldberg, Gary", "text")) == ["translator"]
    assert xpath(data, "mods:name[@usage='primary']/mods:namePart") == ["Bagirov, M. D."]
    assert xpath(data, "mods:name[@type='corporate']/mods:namePart") == ["CC CP(b) of Azerbaijan"]


def test_dates_in_marc_008_264_and_mods_origin_info():
    marc = render("marc21", "rich")
    fixed = xpath(marc, "marc:controlfield[@tag='008']")[0]
    assert len(fixed) == 40
    assert fixed[6:15] == "s1946    "  # a range inside one year: single year in 008
    assert fixed[35:38] == "rus"
    assert xpath(marc, "marc:datafield[@tag='264'][@ind2='0']/marc:subfield[@code='c']") == [
        "1946 April 17-1946 April 20"
    ]
    mods = render("mods", "rich")
    created = "mods:originInfo/mods:dateCreated[@encoding='w3cdtf']"
    assert xpath(mods, f"{created}[@keyDate='yes'][@point='start']") == ["1946-04-17"]
    assert xpath(mods, f"{created}[@point='end']") == ["1946-04-20"]


@pytest.mark.parametrize(
    ("value", "fixed", "shown", "created"),
    [
        ("1946-04-20", "s1946    ", "1946 April 20", ["1946-04-20"]),
        ("1945-07", "s1945    ", "1945 July", ["1945-07"]),
        ("1952", "s1952    ", "1952", ["1952"]),
        ("1945-07/1946-03", "i19451946", "1945 July-1946 March", ["1945-07", "1946-03"]),
        ("spring 1946", "nuuuuuuuu", "spring 1946", []),
        ("1946-02-30", "nuuuuuuuu", "1946-02-30", []),
        ("0000", "nuuuuuuuu", "0000", []),
        (None, "nuuuuuuuu", None, []),
    ],
)
def test_date_forms(value, fixed, shown, created):
    record = Record(title="t", date=value)
    marc = FORMATS["marc21"].crosswalk(record, MINIMAL_CONTEXT)
    assert xpath(marc, "marc:controlfield[@tag='008']")[0][6:15] == fixed
    assert xpath(marc, "marc:datafield[@tag='264']/marc:subfield[@code='c']") == (
        [shown] if shown else []
    )
    mods = FORMATS["mods"].crosswalk(record, MINIMAL_CONTEXT)
    assert xpath(mods, "mods:originInfo/mods:dateCreated[@encoding='w3cdtf']") == created
    if value and not created:  # kept as text, without claiming an encoding
        assert xpath(mods, "mods:originInfo/mods:dateCreated[@keyDate='yes']") == [value]
    validate_payload("marc21", marc)
    validate_payload("mods", mods)


def test_languages_are_639_2b_in_marc_and_mods():
    marc = render("marc21", "rich")
    assert xpath(marc, "marc:datafield[@tag='041']/marc:subfield[@code='a']") == [
        "rus",
        "aze",
        "eng",
    ]
    assert xpath(marc, "marc:datafield[@tag='546']/marc:subfield[@code='a']") == [
        "In Russian and Azerbaijani, with English translation."
    ]
    mods = render("mods", "rich")
    assert xpath(mods, "mods:language/mods:languageTerm[@authority='iso639-2b']") == [
        "rus",
        "eng",
        "aze",
    ]
    assert xpath(mods, "mods:titleInfo/@lang") == ["rus"]


def test_full_text_is_noted_but_not_copied():
    for prefix in FORMATS:
        data = render(prefix, "rich")
        assert FULL_TEXT.encode() not in data
        assert b"To Cde. Stalin" not in data
        assert "Full text available online: Russian transcription; English translation." in (
            tree(data).xpath("string(.)")
        )


# ------------------------------------------------------------------ characters


BAD_TITLE = "Bad\u000b title\u0003 with\ufffe junk\ud800 and\x00 NUL"
BAD_TITLE_CLEAN = "Bad title with junk and NUL"

TITLE_PATHS = {
    "oai_dc": "dc:title",
    "marc21": "marc:datafield[@tag='245']/marc:subfield[@code='a']",
    "mods": "mods:titleInfo/mods:title",
    "oai_ead": "ead:eadheader/ead:filedesc/ead:titlestmt/ead:titleproper",
    "edm": "edm:ProvidedCHO/dc:title",
    "oai_dcterms": "dcterms:title",
}


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_forbidden_characters_are_dropped_and_output_stays_valid(prefix):
    record = Record(
        title=BAD_TITLE,
        creators=("Bagirov\u0003, M. D.",),
        description=(Text("desc\ufffe", "en"),),
        subjects=("\ud800",),
        rights="\x0b",
    )
    context = CrosswalkContext(
        oai_identifier=OAI_ID,
        record_url=RECORD_URL + "\x0b",
        manifest_url=MANIFEST_URL + "\uffff",
        repository_name="Opis\x01",
        reference_canonical=CANONICAL + "\x02",
        archive_code="GAPPOD",
        archive_name=ARCHIVE + "\ud83d",
        hierarchy=(("Fond\x03", "1"),),
        sheets="9\x04-15",
        alternates=("\x05",),
    )
    data = FORMATS[prefix].crosswalk(record, context)
    validate_payload(prefix, data)
    validate_oai_response(get_record(prefix, data))
    assert xpath(data, TITLE_PATHS[prefix]) == [BAD_TITLE_CLEAN]
    assert is_clean(data.decode("utf-8"))


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_title_of_only_forbidden_characters_becomes_untitled(prefix):
    data = FORMATS[prefix].crosswalk(Record(title="\x00\ufffe \ud800"), MINIMAL_CONTEXT)
    validate_payload(prefix, data)
    assert xpath(data, TITLE_PATHS[prefix]) == ["[Untitled]"]


@pytest.mark.parametrize("prefix", list(FORMATS))
def test_cyrillic_round_trips_as_raw_utf8(prefix):
    data = render(prefix, "rich")
    assert CYRILLIC_TITLE.encode("utf-8") in data
    assert b"&#" not in data
    assert xpath(data, TITLE_PATHS[prefix]) == [CYRILLIC_TITLE]
    assert "Тебриз" in tree(data).xpath("string(.)")


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    name=st.text(st.characters(exclude_categories=()), max_size=20),
)
def test_any_text_gives_valid_payloads(title, name):
    record = Record(title=title, creators=(name,), subjects=(name,), rights=name)
    for prefix, fmt in FORMATS.items():
        data = fmt.crosswalk(record, MINIMAL_CONTEXT)
        validate_payload(prefix, data)


# ------------------------------------------------------------------ determinism and VERSION


@pytest.mark.parametrize(("prefix", "case"), ALL)
def test_output_is_deterministic(prefix, case):
    record, context = CASES[case]
    again = Record.from_json(record.to_json())
    assert FORMATS[prefix].crosswalk(record, context) == FORMATS[prefix].crosswalk(again, context)


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for record, context in (*CASES.values(), (SEED, SEED_CONTEXT)):
        for fmt in FORMATS.values():
            digest.update(fmt.crosswalk(record, context) + b"\0")
    return digest.hexdigest()


def test_output_changes_come_with_a_version_bump():
    assert FINGERPRINTS.get(VERSION) == _fingerprint(), (
        "crosswalk output changed: bump VERSION in metadata/crosswalks/__init__.py (the store "
        f"re-renders and bumps datestamps), then pin {VERSION!r}: {_fingerprint()!r} here "
        "and regenerate the examples in docs/crosswalks.md"
    )


def test_docs_show_the_current_seed_examples():
    docs = (ROOT / "docs" / "crosswalks.md").read_text(encoding="utf-8")
    for prefix in FORMATS:
        assert example(prefix) in docs, f"docs/crosswalks.md: {prefix} example is out of date"


def example(prefix: str) -> str:
    """The seed letter in ``prefix``, indented for reading (the real bytes are compact)."""
    root = tree(FORMATS[prefix].crosswalk(SEED, SEED_CONTEXT))
    etree.indent(root, space="  ")
    return etree.tostring(root, encoding="unicode")


# ------------------------------------------------------------------ the validator itself


def test_validator_rejects_a_dc_element_in_the_wrong_namespace():
    data = render("oai_dc", "rich").replace(
        b"<dc:rights>", b'<dcterms:rights xmlns:dcterms="http://purl.org/dc/terms/">'
    )
    data = data.replace(b"</dc:rights>", b"</dcterms:rights>")
    assert b"dcterms:rights" in data
    with pytest.raises(AssertionError, match="rights"):
        validate_payload("oai_dc", data)
    with pytest.raises(AssertionError, match="rights"):
        validate_oai_response(get_record("oai_dc", data))


def test_validator_rejects_a_marc_record_without_leader():
    data = re.sub(rb"<leader>[^<]*</leader>", b"", render("marc21", "rich"))
    assert b"leader" not in data
    with pytest.raises(AssertionError, match="controlfield"):
        validate_payload("marc21", data)
    with pytest.raises(AssertionError, match="controlfield"):
        validate_oai_response(get_record("marc21", data))


def test_validator_rejects_bad_leader_and_wrong_root_and_broken_xml():
    data = render("marc21", "rich")
    with pytest.raises(AssertionError, match="leader"):
        validate_payload("marc21", re.sub(rb"<leader>[^<]*", b"<leader>short", data))
    with pytest.raises(AssertionError, match="root"):
        validate_payload("oai_dc", render("mods", "rich"))
    with pytest.raises(AssertionError, match="well-formed"):
        validate_payload("mods", render("mods", "rich")[:-3])
    with pytest.raises(AssertionError, match="root"):
        validate_oai_response(render("mods", "rich"))


IDENTIFY = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">
<responseDate>2024-05-01T12:00:00Z</responseDate>
<request verb="Identify">https://opis.example.org/oai</request>
<Identify><repositoryName>Opis</repositoryName><baseURL>https://opis.example.org/oai</baseURL>
<protocolVersion>2.0</protocolVersion><adminEmail>admin@example.org</adminEmail>
<earliestDatestamp>2024-01-01T00:00:00Z</earliestDatestamp><deletedRecord>persistent</deletedRecord>
<granularity>YYYY-MM-DDThh:mm:ssZ</granularity>
<description><oai-identifier xmlns="http://www.openarchives.org/OAI/2.0/oai-identifier"
 xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/oai-identifier http://www.openarchives.org/OAI/2.0/oai-identifier.xsd">
<scheme>oai</scheme><repositoryIdentifier>opis.example.org</repositoryIdentifier>
<delimiter>:</delimiter><sampleIdentifier>oai:opis.example.org:GAPPOD/f.1/op.89/d.112</sampleIdentifier>
</oai-identifier></description></Identify></OAI-PMH>"""


def test_validator_checks_identify_descriptions_strictly():
    validate_oai_response(IDENTIFY)
    with pytest.raises(AssertionError, match="sampleIdentifier"):
        validate_oai_response(IDENTIFY.replace(b"<sampleIdentifier>oai:", b"<sampleIdentifier>x:"))
    with pytest.raises(AssertionError):
        validate_oai_response(
            IDENTIFY.replace(b"<scheme>oai</scheme>", b"<scheme>oai</scheme><x/>")
        )


def test_the_served_oai_dcterms_schema_is_the_tested_one():
    served = ROOT / "repository" / "oai" / "oai_dcterms.xsd"
    assert served.read_bytes() == (SCHEMA_DIR / "oai_dcterms.xsd").read_bytes()


def test_vendored_schemas_are_the_documented_files():
    readme = (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    sums = dict(
        (name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", readme, re.M)
    )
    first = {"OAI-PMH.xsd", "oai_dc.xsd", "oai-identifier.xsd", "simpledc20021212.xsd"}
    first |= {"xml.xsd", "xlink.xsd", "MARC21slim.xsd", "mods-3-7.xsd"}
    issue13 = {"ead2002/ead.xsd", "apeead/apeEAD.xsd", "edm/EDM.xsd", "oai_dcterms.xsd"}
    assert first | issue13 <= set(sums)  # and every file listed is the documented one
    for name, digest in sums.items():
        assert hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() == digest, name


# ------------------------------------------------------------------ xmlchars and languages


@pytest.mark.parametrize(
    "bad", ["\x00", "\x03", "\x0b", "\x0c", "\x1f", "\ufffe", "\uffff", "\ud800", "\udfff"]
)
def test_clean_removes_each_forbidden_character(bad):
    assert not is_clean(f"a{bad}b")
    assert clean(f"a{bad}b") == "ab"


def test_clean_keeps_allowed_characters_and_returns_clean_text_unchanged():
    allowed = "\t\n\r Ж 中文 \x85 \ud7ff \ue000 \ufffd \U00010000 \U0010ffff"
    assert is_clean(allowed)
    assert clean(allowed) is allowed


@given(st.text(st.characters(codec=None, exclude_categories=())))
def test_clean_output_is_always_serialisable(text):
    cleaned = clean(text)
    assert is_clean(cleaned)
    element = etree.Element("t")
    element.text = cleaned
    assert etree.fromstring(etree.tostring(element, encoding="utf-8")).text in (cleaned, None)


REQUIRED_LANGUAGES = (  # noqa: SIM905 - the list as the brief gives it
    "ru en de fr zh ko ja hu cs sk pl uk be az fa ka hy lt lv et bg ro mn vi es it pt sr hr "
    "sl fi sv tr ar he el sq mk nl da no uz kk tk ky tg yi"
).split()


@pytest.mark.parametrize("code", REQUIRED_LANGUAGES)
def test_languages_table_covers_cold_war_archives(code):
    bibliographic = languages.to_bibliographic(code)
    assert bibliographic and len(bibliographic) == 3
    assert languages.from_any(bibliographic) == code
    assert languages.from_any(languages.name(code)) == code


def test_language_lookups():
    assert languages.to_bibliographic("de") == "ger"
    assert languages.to_bibliographic("deu") == "ger"
    assert languages.to_bibliographic("fa") == "per"
    assert languages.from_any("RUS") == "ru"
    assert languages.from_any("Russian") == "ru"
    assert languages.from_any("ru-Latn") == "ru"
    assert languages.name("ru") == "Russian"
    assert languages.name("chi") == "Chinese"
    assert languages.from_any("xx") is None
    assert languages.to_bibliographic("") is None
    assert languages.name(None) is None


if __name__ == "__main__":
    for prefix in FORMATS:
        print(f"--- {prefix}\n{example(prefix)}\n")
